#!/usr/bin/env python
"""Speed of `transfer-course predict`'s batches against `learn.predict` one image at a time, measured in one run.

    transfer-course train vision --out /tmp/m          # any saved vision model
    python bench/predict.py /tmp/m [--images DIR] [-n 200] [--bs 64]

Decodes the images first (both ways pay that alike), then times the two and prints seconds and their ratio, and
whether the labels agree. A script, not a test: it asserts nothing."""
import sys, time, argparse, warnings
from pathlib import Path
sys.path.insert(0, str(Path(__file__).resolve().parents[1])) # this checkout's transfer_course
warnings.filterwarnings('ignore')
from fastai.vision.all import get_image_files, PILImage
from transfer_course.data import pets_path
from transfer_course.export import load_safe
from transfer_course.cli import predicted

p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
p.add_argument('model', help='folder saved by `transfer-course train vision` or `save_safe`')
p.add_argument('--images', help='folder of images (default: the quick-mode stand-in)')
p.add_argument('-n', type=int, default=200, help='images to predict')
p.add_argument('--bs', type=int, default=64)
a = p.parse_args()
fs = sorted(get_image_files(a.images or pets_path(True)))[:a.n]
learn = load_safe(a.model)
ims = [PILImage.create(f) for f in fs]
for i in ims: i.load()
t = time.perf_counter()
with learn.no_bar(): one = [learn.predict(i) for i in ims]
t1 = time.perf_counter()-t
t = time.perf_counter(); got = predicted(learn, ims, a.bs); t2 = time.perf_counter()-t
print(f"{len(fs)} images on {learn.dls.device}: one at a time {t1:.2f} s, batches of {a.bs} {t2:.2f} s; "
      f"batched is {t1/t2:.1f}x faster; labels agree: {[str(o[0]) for o in one]==[l for l,_ in got]}")
