#!/usr/bin/env bash
# Here, before the GPU run: what bench/gpu_checks.sh needs that the GPU machine lacks, in git-ignored folders
# (a device call carries at most 64 MiB): fastai's pure-Python wheels, fp16 copies of the offline weights, a tweets subset.
set -euo pipefail
cd "$(dirname "$0")/.."
. .venv/bin/activate
python -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp --platform manylinux_2_28_x86_64 \
  --platform manylinux2014_x86_64 -d .whl fastai==2.8.12 fastcore==2.2.41 fastdownload==0.0.8 fastprogress==1.0.5 \
  fasttransform==0.0.5 plum-dispatch==2.9.0 beartype==0.23.1 2>&1 | grep -v '^WARNING: Location' || true
python bench/make_minilm_fp16.py
python - <<'PY'
import pandas as pd
from pathlib import Path
from safetensors.torch import load_file, save_file
from transfer_course.models import lite0_weights
home = Path('.gpu/home'); home.mkdir(parents=True, exist_ok=True)
sd = load_file(str(lite0_weights()))
save_file({k:(v.half() if v.is_floating_point() else v) for k,v in sd.items()}, str(home/lite0_weights().name))
df = pd.read_csv('.gpu/tweets.csv', encoding='latin-1')
df.sample(8000, random_state=0).to_csv('.gpu/tweets.csv', index=False, encoding='latin-1') # the check needs a few thousand
PY
du -sh .whl .gpu
