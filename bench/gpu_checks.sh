#!/usr/bin/env bash
# The GPU checks of issues 3, 4 and 6 in one run on the lent GPU machine (Python 3.12, torch with CUDA, no fastai).
# Prepare here first:  bench/gpu_prepare.sh  (fastai wheels in .whl/, fp16 weights and a tweets subset in .gpu/)
# Then on the device:  bash bench/gpu_checks.sh   (writes its logs and the throughput table to $OUT)
set -uo pipefail
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl || exit 1
export PYTHONPATH=/tmp/site:$PWD PYTHONUNBUFFERED=1 TRANSFER_COURSE_HOME=$PWD/.gpu/home TRANSFER_COURSE_QUICK=1
OUT=${OUT:-/tmp/out}; mkdir -p "$OUT"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv | tee "$OUT/gpu.txt"
echo "== vision (issue 3)"; timeout 150 python3 bench/gpu_vision.py 2>&1 | grep -v Warning | tee "$OUT/vision.txt"
echo "== text (issue 4)"; timeout 120 python3 bench/gpu_text.py --model .gpu/minilm-fp16 --data .gpu/tweets.csv 2>&1 | grep -v Warning | tee "$OUT/text.txt"
echo "== throughput (issue 6)"; timeout 300 python3 bench/throughput.py --device cuda --out "$OUT/gpu_table.md" 2>&1 | tee "$OUT/throughput.txt"
