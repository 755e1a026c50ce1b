#!/usr/bin/env bash
# Make .venv with the course, its tests and its offline data. Safe to run again: it only adds what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x .venv/bin/python ] || "${PYTHON:-python3}" -m venv .venv
. .venv/bin/activate
python -m pip install -q --upgrade pip 2>&1 | grep -v '^WARNING: Location' || true
# PyTorch is not a pinned dependency of the package (Colab's torch must not be replaced). This pin is the
# CPU-usable build that this project's Linux/x86_64 machines have locally; set TORCH_SPEC to choose another.
if ! python -c "import torch, torchvision" 2>/dev/null; then
  # shellcheck disable=SC2086
  python -m pip install -q ${TORCH_SPEC:-torch==2.14.1 torchvision==0.29.1} 2>&1 | grep -v '^WARNING: Location' || true
fi
python -m pip install -q -e ".[dev,offline]" 2>&1 | grep -v '^WARNING: Location' || true
python -c "import transfer_course, fastai, torch; print(f'set up: transfer_course {transfer_course.__version__}, fastai {fastai.__version__}, torch {torch.__version__}')"
