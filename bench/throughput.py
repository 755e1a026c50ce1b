#!/usr/bin/env python
"""Training throughput of fastai's standard image pipeline against the course's fast path, measured in one run.

    python bench/throughput.py --device cuda --out gpu_table.md   # the GPU check (< 4 minutes on an H100/H200)
    python bench/throughput.py --device cpu                       # small model, small images: data cost dominates

Builds a Pets-sized folder of stand-in JPEGs (or takes `--path`, a folder named as in Pets) and prints one table:
the model-bound ceiling (plain PyTorch steps on a fixed batch already on the device), fastai's default pipeline
(`from_name_re`, `Resize` item transform, `aug_transforms` batch transforms, `to_fp16` on CUDA, one worker per core),
and the fast path (`fast_dls` + `learn.to_fast()`), each as data only and as training through `learn.fit`, in
images per second and as ratios to the ceiling and to fastai's default. On CUDA it also measures variants that each
leave out one part of the fast path. Every measurement is time-boxed; a failing one is reported and the rest go on.
A script, not a test: it asserts nothing.
"""
import sys, os, math, time, json, argparse, platform, traceback, warnings
from contextlib import redirect_stdout, redirect_stderr, nullcontext
from pathlib import Path
sys.path.insert(0, str(Path(__file__).resolve().parents[1])) # this checkout's transfer_course
warnings.filterwarnings('ignore', category=FutureWarning)
warnings.filterwarnings('ignore', category=UserWarning)

import torch, fastai
from fastai.vision.all import *
from transfer_course.core import tc_home
from transfer_course.data import make_pets_standin, PETS_RE, pets_label
from transfer_course.fastdata import *
from transfer_course.fast import *

def args():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--device', choices=['cpu','cuda'], default='cuda' if torch.cuda.is_available() else 'cpu')
    p.add_argument('--path', help='existing folder of images named as in Pets (<breed>_<n>.jpg); default: build a stand-in')
    p.add_argument('--n-per-breed', type=int, help='stand-in images per breed (default 200 on cuda: 7,400 like Pets; 20 on cpu)')
    p.add_argument('--arch', help='timm name (default resnet34 on cuda, mobilenetv3_small_050 on cpu)')
    p.add_argument('--bs', type=int, help='batch size (default 64 on cuda, 32 on cpu)')
    p.add_argument('--size', type=int, help='training image side (default 224 on cuda, 64 on cpu)')
    p.add_argument('--steps', type=int, help='timed batches per measurement (default 50 on cuda, 10 on cpu)')
    p.add_argument('--warm', type=int, help='batches before timing starts (default 10 on cuda, 2 on cpu)')
    p.add_argument('--workers', type=int, default=min(16, os.cpu_count() or 1), help="fastai default's DataLoader workers")
    p.add_argument('--max-secs', type=float, default=20., help='time limit of each measurement')
    p.add_argument('--budget', type=float, default=200., help='skip the remaining variants after this many seconds')
    p.add_argument('--variants', action=argparse.BooleanOptionalAction, default=None, help='measure variants (default: on cuda)')
    p.add_argument('--epochs', type=int, help='train both pipelines this many epochs from scratch and compare accuracy (default 5 on cuda, 0 on cpu)')
    p.add_argument('--out', help='also write the table here (markdown) and beside it as .json')
    a = p.parse_args()
    for k in ('n_per_breed','bs','size','steps','warm','workers'):
        v = getattr(a, k)
        if v is not None and v < (0 if k=='workers' else 1): p.error(f"--{k.replace('_','-')} must be at least {0 if k=='workers' else 1}, got {v}")
    if a.max_secs <= 0 or a.budget < 0: p.error("--max-secs must be positive and --budget not negative")
    if a.path and not Path(a.path).is_dir(): p.error(f"--path {a.path}: no such folder")
    cuda = a.device=='cuda'
    if cuda and not torch.cuda.is_available(): p.error('--device cuda, but PyTorch sees no CUDA GPU here')
    for k,g,c in [('n_per_breed',200,20), ('arch','resnet34','mobilenetv3_small_050'), ('bs',64,32), ('size',224,64),
                  ('steps',50,10), ('warm',10,2), ('variants',True,False), ('epochs',5,0)]:
        if getattr(a, k) is None: setattr(a, k, g if cuda else c)
    return a

def _err(e):
    "One line for the table: the exception's type and the last line of its message"
    lines = str(e).strip().splitlines() or ['']
    return f"{type(e).__name__}: {lines[-1]}".replace('|', '/')

class Bench:
    "Runs measurements, each guarded, and collects the rows of the table"
    def __init__(self, a): self.a,self.rows,self.t0 = a,[],time.time()
    def measure(self, name, f, kind='train'):
        t = time.time()
        try: v,err = f(),None
        except Exception as e: v,err = None,_err(e); traceback.print_exc()
        if v is None and err is None: err = 'no value measured'
        self.rows.append(dict(name=name, kind=kind, ips=v, error=err))
        res = None if err else f"{v:.1f} per batch" if kind=='syncs' else f"{v:,.0f} images/s"
        print(f"  {name}: {'FAILED: '+err if err else res}  ({time.time()-t:.1f} s)", flush=True)
        return v
    def accuracy(self, name, dls, fast):
        "Train `dls` from random weights for `--epochs`; record validation accuracy and seconds per epoch"
        try:
            set_seed(42); learn = learner(dls, self.a, fast=fast); learn.metrics = [accuracy]
            t = time.time()
            with learn.no_bar(), learn.no_logging(): learn.fit_one_cycle(self.a.epochs, 3e-3)
            res,err = dict(acc=float(learn.recorder.values[-1][-1]), secs=(time.time()-t)/self.a.epochs),None
        except Exception as e: res,err = None,_err(e); traceback.print_exc()
        self.rows.append(dict(name=name, kind='acc', ips=None, error=err, **(res or {})))
        msg = f"FAILED: {err}" if err else f"accuracy {res['acc']:.3f}, {res['secs']:.1f} s/epoch"
        print(f"  {name}: {msg}", flush=True)
    def over_budget(self): return time.time()-self.t0 > self.a.budget
    def value(self, name): return next((r['ips'] for r in self.rows if r['name']==name), None)

class SyncCount(Callback):
    "CUDA only: calls that make the CPU wait for the GPU, per training batch (fastai's loop, every callback, the data)"
    order = -1000 # counts from one batch's start to the next one's
    def __init__(self, n=20, warm=5): store_attr(); self.i,self.per_batch,self.rec = 0,None,None
    def before_validate(self): raise CancelValidException()
    def before_batch(self):
        if not self.training: return
        if self.i==self.warm:
            self.cm = warnings.catch_warnings(record=True); self.rec = self.cm.__enter__()
            warnings.simplefilter('always'); torch.cuda.set_sync_debug_mode('warn')
        elif self.i==self.warm+self.n: self._stop(); raise CancelFitException()
        self.i += 1
    def _stop(self):
        if self.rec is None: return
        torch.cuda.set_sync_debug_mode(0); self.cm.__exit__(None, None, None)
        self.per_batch = sum('synchroniz' in str(w.message) for w in self.rec)/self.n; self.rec = None
    def after_fit(self): self._stop()

def syncs(learn, n, warm, bar=True):
    "Synchronizing calls per training batch through `learn.fit`, with the progress bar shown as in a notebook (output discarded)"
    cb = SyncCount(n, warm)
    with open(os.devnull, 'w') as null, redirect_stdout(null), redirect_stderr(null), learn.no_logging(), (nullcontext() if bar else learn.no_bar()):
        learn.fit(math.ceil((warm+n)/len(learn.dls.train))+1, 1e-4, cbs=cb)
    return cb.per_batch

def stand_in(a):
    "The image folder: `--path`, or a stand-in built (in parallel) once and reused"
    if a.path: return Path(a.path)
    dest = tc_home()/f'bench_pets_{a.n_per_breed}'
    t = time.time(); make_pets_standin(dest, a.n_per_breed, n_workers=os.cpu_count() or 1)
    print(f"stand-in folder {dest}: {len(get_image_files(dest)):,} JPEGs (500×375), ready in {time.time()-t:.1f} s", flush=True)
    return dest

def learner(dls, a, fast=False, **kw):
    "An unfrozen learner of `a.arch` from random weights (throughput does not depend on the weights)"
    learn = vision_learner(dls, a.arch, pretrained=False)
    if fast: return learn.to_fast(verbose=False, **kw)
    if a.device=='cuda': learn.to_fp16() # fastai's default recipe
    return learn

def norm(dls):
    "The ImageNet normalisation a pretrained model would add (the learners here start from random weights)"
    dls.add_tfms([Normalize.from_stats(*imagenet_stats)], 'after_batch')
    return dls

def main():
    a = args(); cuda = a.device=='cuda'
    path = stand_in(a) # before CUDA starts in this process: the stand-in is drawn by forked processes
    default_device(cuda)
    if cuda: torch.backends.cudnn.benchmark = True # for every measurement alike
    card = torch.cuda.get_device_name() if cuda else platform.processor() or 'CPU'
    print(f"device: {a.device} ({card}); {os.cpu_count()} CPU cores; torch {torch.__version__}, fastai {fastai.__version__}; "
          f"{a.arch}, {a.size} px, bs {a.bs}, {a.steps} timed batches after {a.warm}", flush=True)
    files = get_image_files(path)
    if not files: sys.exit(f"--path {path}: no images in it")
    try: labels = [pets_label(f) for f in files]
    except ValueError as e: sys.exit(f"--path {path}: {e} (the benchmark labels files by Pets' names, <breed>_<n>.jpg)")
    valid = RandomSplitter(0.2, seed=42)(files)[1] # the split `from_name_re(valid_pct=0.2, seed=42)` makes
    b = Bench(a); n,w,mx = a.steps,a.warm,a.max_secs
    ft = lambda learn: fit_speed(learn, n, w, mx)

    print("model-bound ceiling", flush=True)
    std = norm(ImageDataLoaders.from_name_re(path, files, PETS_RE, valid_pct=0.2, seed=42, bs=a.bs, num_workers=a.workers,
               item_tfms=Resize(round(a.size*460/224)), batch_tfms=aug_transforms(size=a.size)))
    b.std = std
    ceil = b.measure('model-bound ceiling: plain PyTorch steps, fixed batch on the device' +
                     (', bf16/fp16 autocast, channels_last' if cuda else ''),
                     lambda: ceiling_speed(learner(std, a).model, a.bs, a.size, n=n, warm=w, max_secs=mx))
    print("fastai default", flush=True)
    b.measure('fastai default: data only', lambda: data_speed(std.train, n, w, mx), 'data')
    b.measure('fastai default: training', lambda: ft(learner(std, a)))
    print("fast path", flush=True)
    try:
        cache = ImageCache(files, round(a.size*8/7), a.device); print(f"  {cache}", flush=True)
        fdls = lambda **kw: norm(fast_dls(files, labels, valid, size=a.size, bs=a.bs, device=a.device, cache=cache, verbose=False, **kw))
        fast = fdls()
    except Exception as e: # report it with the rest of the table
        traceback.print_exc(); cache = fast = None
        b.rows.append(dict(name='fast path: building the cache and DataLoaders', kind='data', ips=None, error=_err(e)))
    if fast is not None: fast_rows(a, b, fast, fdls, ft, n, w, mx)
    if a.epochs:
        print(f"accuracy: fit_one_cycle({a.epochs}) from random weights, both pipelines, same seed", flush=True)
        for name,dls,fast_ in [('fastai default', std, False), ('fast path', fast, True)]:
            if dls is not None: b.accuracy(name, dls, fast_)
    report(a, b, render(b, a, card, ceil, cache, len(files)), card, cache, len(files))

def fast_rows(a, b, fast, fdls, ft, n, w, mx):
    "The fast path's measurements, and its variants"
    cuda = a.device=='cuda'
    b.measure('fast path: data only', lambda: data_speed(fast.train, n, w, mx), 'data')
    b.measure('fast path: training (fast_dls + learn.to_fast())', lambda: ft(learner(fast, a, fast=True)))
    if cuda:
        print("host syncs per training batch (torch.cuda.set_sync_debug_mode), progress bar shown", flush=True)
        b.measure('fastai default: host syncs per batch', lambda: syncs(learner(b.std, a), n, w), 'syncs')
        b.measure('fast path: host syncs per batch', lambda: syncs(learner(fast, a, fast=True), n, w), 'syncs')
        b.measure('fast path without AsyncLoss: host syncs per batch', lambda: syncs(learner(fast, a, fast=True, async_loss=False), n, w), 'syncs')
    if a.variants:
        print("variants of the fast path (each leaves one part out)", flush=True)
        vs = [('fast path, batches made in the main thread (prefetch=False)', lambda: ft(learner(fdls(prefetch=False), a, fast=True))),
              ("fast path, fastai's Adam (to_fast(opt=False))", lambda: ft(learner(fast, a, fast=True, opt=False))),
              ('fast path, loss read every batch (to_fast(async_loss=False))', lambda: ft(learner(fast, a, fast=True, async_loss=False))),
              ('fast path, TensorImage into the model (to_fast(plain=False))', lambda: ft(learner(fast, a, fast=True, plain=False))),
              ('fast data, fastai default learner (to_fp16 only)' if cuda else 'fast data, fastai default learner', lambda: ft(learner(fast, a))),
              ("fast path with fastai's aug_transforms instead of FastAug", lambda: ft(learner(aug_dls(fdls(), a.size), a, fast=True)))]
        for name,f in vs:
            if b.over_budget(): b.rows.append(dict(name=name, kind='train', ips=None, error='skipped: over --budget')); continue
            b.measure(name, f)

def report(a, b, table, card, cache, n_files):
    "Print the table; write it (and the raw rows as JSON) to `--out`"
    print('\n'+table, flush=True)
    if a.out:
        Path(a.out).write_text(table+'\n')
        Path(a.out).with_suffix('.json').write_text(json.dumps(dict(device=a.device, card=card, cpus=os.cpu_count(),
            torch=torch.__version__, fastai=fastai.__version__, arch=a.arch, size=a.size, bs=a.bs, steps=a.steps, warm=a.warm,
            images=n_files, cache_secs=cache and round(cache.secs,2), cache_where=cache and str(cache.device), cache_cpu_decoded=cache and cache.n_cpu, rows=b.rows), indent=1))
        print(f"written: {a.out} and {Path(a.out).with_suffix('.json')}")
    print(f"total {time.time()-b.t0:.0f} s")

def aug_dls(dls, size):
    "`dls` with fastai's `aug_transforms(size)` in place of `FastAug`"
    for dl in dls.loaders: dl.after_batch = Pipeline([IntToFloatTensor(), *aug_transforms(size=size), Normalize.from_stats(*imagenet_stats)])
    return dls

def render(b, a, card, ceil, cache, n_files):
    "The markdown table"
    dflt = b.value('fastai default: training')
    r = lambda v,d: f"{v/d:.2f}" if v and d else '—'
    lines = [f"Training throughput on **{card}** ({a.device}, {os.cpu_count()} CPU cores), {n_files:,} JPEGs of 500×375, "
             f"{a.arch} at {a.size} px, batch {a.bs}; {a.steps} timed batches after {a.warm}; torch {torch.__version__}, "
             f"fastai {fastai.__version__}. " + (f"Fast path cache: {len(cache):,} images at {cache.size} px in "
             f"{'GPU' if cache.device.type=='cuda' else 'CPU'} memory, built in {cache.secs:.1f} s ({len(cache)-cache.n_cpu:,} decoded by "
             f"the GPU, {cache.n_cpu:,} by the CPU)." if cache else "Fast path cache: failed."), '',
             '| measurement | images/s | / ceiling | / fastai default training |', '|---|---:|---:|---:|']
    for row in b.rows:
        if row['kind'] in ('acc','syncs'): continue
        v = row['ips']
        if v is None: lines.append(f"| {row['name']} | {row['error']} | | |"); continue
        lines.append(f"| {row['name']} | {v:,.0f} | {r(v,ceil)} | {r(v,dflt) if row['kind']=='train' else '—'} |")
    if ceil and any(row['ips'] and row['ips']>ceil for row in b.rows if row['kind']=='train'):
        lines += ['', "A training row above the ceiling means the ceiling's measurement was noisy (a short run on a busy "
                  "machine); rerun with more --steps before reading the ratios."]
    sy = [row for row in b.rows if row['kind']=='syncs']
    if sy:
        lines += ['', "Calls that make the CPU wait for the GPU (counted with `torch.cuda.set_sync_debug_mode('warn')`), per training "
                  "batch through `learn.fit` with the progress bar shown:", '', '| learner | host syncs per batch |', '|---|---:|']
        lines += [f"| {row['name'].split(': host')[0]} | {row['ips']:.1f} |" if not row['error'] else f"| {row['name']} | {row['error']} |" for row in sy]
    acc = [row for row in b.rows if row['kind']=='acc']
    if acc:
        lines += ['', f"Same data, same seed, {a.arch} from random weights, `fit_one_cycle({a.epochs}, 3e-3)` (whole epochs, validation included):", '',
                  '| pipeline | validation accuracy | seconds per epoch |', '|---|---:|---:|']
        lines += [f"| {row['name']} | {row['acc']:.3f} | {row['secs']:.1f} |" if not row['error'] else f"| {row['name']} | {row['error']} | |" for row in acc]
    return '\n'.join(lines)

if __name__=='__main__': main()
