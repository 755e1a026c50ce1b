"The fast data path: same items, labels and split as fastai's standard pipeline; it learns; two processes through accelerate."
import re, sys, warnings
import numpy as np, pytest, torch
from PIL import Image
from hypothesis import given, settings, assume, HealthCheck, strategies as st
from fastai.vision.all import get_image_files, set_seed, Learner, accuracy, TfmdDL, TensorImage, ConvLayer, Flatten, nn
from transfer_course.data import make_pets_standin, image_dls, pets_label, STANDIN
from transfer_course.fastdata import fast_dls, fast_infer_dls, ImageCache, FastAug, _load_cuda, _load_cpu
from transfer_course.fast import fit_speed, ceiling_speed, launch

warnings.filterwarnings('ignore', category=UserWarning)
BREEDS = ['beagle', 'pug', 'samoyed', 'Bengal', 'Siamese']

@pytest.fixture(scope='module')
def pets(tmp_path_factory):
    "A small stand-in folder: 5 breeds x 6 images; its files, labels and a cache of all of them"
    p = make_pets_standin(tmp_path_factory.mktemp('pets')/'images', 6, size=(96,72), breeds=BREEDS)
    files = sorted(get_image_files(p))
    return files, [pets_label(f) for f in files], ImageCache(files, 37, 'cpu')

def _labels_of(dl, vocab): return [vocab[int(y)] for b in dl for y in b[1]]

@settings(max_examples=20, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_same_items_labels_split_as_plain(pets, data):
    files, labels, cache = pets
    idx = data.draw(st.lists(st.integers(0, len(files)-1), min_size=4, max_size=len(files), unique=True), 'subset')
    fs, ls = [files[i] for i in idx], [labels[i] for i in idx]
    valid = data.draw(st.lists(st.integers(0, len(fs)-1), max_size=len(fs)-1, unique=True), 'valid')
    train_labels = {l for i,l in enumerate(ls) if i not in valid}
    assume({ls[i] for i in valid} <= train_labels) # (a class seen only in validation is an error in both pipelines)
    vocab = data.draw(st.one_of(st.none(), st.permutations(sorted(set(ls)))), 'vocab')
    bs = data.draw(st.integers(1, 8), 'bs')
    plain = image_dls(fs, ls, valid, size=32, bs=bs, vocab=vocab, num_workers=0)
    fast = fast_dls(fs, ls, valid, size=32, bs=bs, vocab=vocab, cache=cache, verbose=False)
    assert list(fast.vocab) == list(plain.vocab) and fast.c == plain.c
    assert list(fast.train.items) == list(plain.train.items)
    assert list(fast.valid.items) == list(plain.valid.items)
    assert (fast.train.bs, fast.train.drop_last, fast.train.shuffle) == (plain.train.bs, plain.train.drop_last, plain.train.shuffle)
    assert [fast.vocab[int(y)] for _,y in fast.valid_ds] == [plain.vocab[int(y)] for y in (plain.valid_ds.tls[1][i] for i in range(len(plain.valid_ds)))]
    # what the batches carry: the validation labels in order; the shuffled training batches equal fastai's per-item batches
    vdl = fast.valid.new(prefetch=False)
    assert _labels_of(vdl, fast.vocab) == [ls[i] for i in valid]
    tdl = fast.train.new(prefetch=False)
    samps = tdl.get_idxs()
    for (xa,ya),(xb,yb) in zip(tdl.create_batches(samps), TfmdDL.create_batches(tdl, samps)):
        assert torch.equal(xa, xb) and torch.equal(ya, yb)
    assert len(list(tdl.create_batches(samps))) == len(list(TfmdDL.create_batches(tdl, samps))) == len(plain.train)

def test_reproducible_after_set_seed(pets):
    files, labels, cache = pets
    def batch():
        set_seed(7)
        return fast_dls(files, labels, list(range(0, len(files), 5)), size=32, bs=8, cache=cache, verbose=False).train.one_batch()
    (x1,y1),(x2,y2) = batch(),batch()
    assert torch.equal(x1, x2) and torch.equal(y1, y2)

def _colours(dest, n=32):
    "A separable set: reddish, greenish and bluish noise images, named as in Pets"
    dest.mkdir()
    rng = np.random.default_rng(0)
    for k,c in enumerate(['red', 'green', 'blue']):
        for i in range(n):
            a = rng.integers(0, 120, (40,50,3)); a[..., k] += 120
            Image.fromarray(a.astype(np.uint8)).save(dest/f"{c}_{i}.jpg")
    files = sorted(dest.iterdir())
    return files, [pets_label(f) for f in files]

def _tiny(n_out=3): return nn.Sequential(ConvLayer(3,16,stride=2), ConvLayer(16,32,stride=2), nn.AdaptiveAvgPool2d(1), Flatten(), nn.Linear(32,n_out))

@pytest.mark.parametrize('seed', [0, 1])
def test_training_through_fast_path_learns(tmp_path, seed):
    "Any fastai `Learner` trains on it; with the labels shuffled (a misaligned pipeline) the same run stays near chance"
    files, labels = _colours(tmp_path/'colours')
    set_seed(seed)
    dls = fast_dls(files, labels, list(range(0, len(files), 4)), size=32, bs=8, verbose=False)
    learn = Learner(dls, _tiny(), metrics=accuracy).to_fast(verbose=False)
    with learn.no_bar(), learn.no_logging(): learn.fit_one_cycle(4, 1e-2)
    losses, acc = learn.recorder.losses, learn.recorder.values[-1][-1]
    assert float(np.mean(losses[-3:])) < 0.5*float(losses[0]), f"training loss did not fall: {losses[0]:.3f} -> {losses[-1]:.3f}"
    assert acc >= 0.95, f"validation accuracy {acc:.3f} on a 3-class colour task (chance 0.33)"

def test_gpu_loader_logic_with_cpu_decoder(pets, tmp_path):
    "The nvJPEG loader's chunking and fallback, with torchvision's CPU decoder standing in for the GPU"
    files, labels, cache = pets
    png = tmp_path/'beagle_99.png'; Image.open(files[0]).save(png) # not a JPEG: goes to the CPU path
    fs = files[:5] + [png] + files[5:9]
    out = torch.zeros(len(fs), 3, 37, 37, dtype=torch.uint8)
    bad, n_cpu = _load_cuda(fs, 37, out, 'cpu', chunk=4)
    assert bad == [] and n_cpu == 1
    ref = torch.zeros_like(out); _load_cpu(fs, 37, ref)
    assert (out.int()-ref.int()).abs().max() <= 8 # two JPEG decoders, the same image

def test_errors_name_the_fix(pets, tmp_path):
    files, labels, cache = pets
    with pytest.raises(ValueError, match='give one label per file'): fast_dls(files[:3], labels[:2], [0], cache=cache)
    with pytest.raises(ValueError, match=r'outside 0\.\.2'): fast_dls(files[:3], labels[:3], [3], cache=cache)
    with pytest.raises(ValueError, match='No training images'): fast_dls(files[:2], labels[:2], [0,1], cache=cache)
    with pytest.raises(ValueError, match='not in the cache'): fast_dls([tmp_path/'x.jpg'], ['x'], [], cache=cache)
    with pytest.raises(ValueError, match='`files` is empty'): fast_dls([], [], [])
    (tmp_path/'pug_1.jpg').write_text('not a jpeg')
    with pytest.raises(ValueError, match=r'1 of 2 images could not be decoded.*pug_1\.jpg.*scan_images'):
        ImageCache([files[0], tmp_path/'pug_1.jpg'], 32, 'cpu')

def test_cache_room_is_what_the_os_can_give_within_a_container(pets, tmp_path, monkeypatch):
    "Memory the page cache holds counts as available (not only free memory); a container's cgroup limit caps it, its own droppable cache counted as room"
    import types, psutil, transfer_course.fastdata as fd
    files, labels, cache = pets
    monkeypatch.setattr(psutil, 'virtual_memory', lambda: types.SimpleNamespace(available=10*2**30))
    monkeypatch.setattr(fd, '_CGROUP', tmp_path)
    assert fd._free_ram() == 10*2**30 # no cgroup files: not in a container
    (tmp_path/'memory.max').write_text('max\n'); (tmp_path/'memory.current').write_text(f'{2**30}\n')
    assert fd._free_ram() == 10*2**30 # a container without a limit
    (tmp_path/'memory.max').write_text(f'{4*2**30}\n')
    assert fd._free_ram() == 3*2**30 # a 4 GiB limit with 1 GiB used
    (tmp_path/'memory.stat').write_text(f'anon {2**29}\ninactive_file {2**29}\nactive_file 0\n')
    assert fd._free_ram() == 3.5*2**30 # half of that GiB is file cache the kernel can drop
    (tmp_path/'memory.current').write_text(f'{4*2**30 - 1000}\n'); (tmp_path/'memory.stat').unlink()
    with pytest.raises(MemoryError, match=r'The cache needs .* GiB and 0.0 GiB is available: cache smaller squares'): ImageCache(files[:4], 32, 'cpu')
    (tmp_path/'memory.current').write_text(f'{5*2**30}\n') # over the limit (the kernel reclaims lazily): no room, not negative room
    assert fd._free_ram() == 0
    v1 = tmp_path/'v1'; (v1/'memory').mkdir(parents=True); monkeypatch.setattr(fd, '_CGROUP', v1) # cgroup v1, as older Docker and Kubernetes nodes
    (v1/'memory/memory.limit_in_bytes').write_text(f'{2**63 - 4096}\n'); (v1/'memory/memory.usage_in_bytes').write_text(f'{2**30}\n')
    assert fd._free_ram() == 10*2**30 # v1's 'no limit'
    (v1/'memory/memory.limit_in_bytes').write_text(f'{4*2**30}\n'); (v1/'memory/memory.stat').write_text(f'cache {2**29}\ntotal_inactive_file {2**29}\n')
    assert fd._free_ram() == 3.5*2**30

def test_two_processes_through_accelerate(tmp_path):
    "`accelerate launch` starts 2 CPU processes (gloo); both fine-tune on the quick stand-in through the fast path"
    script = tmp_path/'train_ddp.py'
    script.write_text("from transfer_course.fast import ddp_train\nif __name__ == '__main__': ddp_train()\n")
    env = {'TRANSFER_COURSE_HOME': str(tmp_path/'home'), 'CUDA_VISIBLE_DEVICES': '', 'OMP_NUM_THREADS': '1'}
    r = launch(script, '--quick', '--data', 'fast', '--size', 32, '--bs', 8, '--epochs', 1, n=2, env=env, timeout=600)
    assert r.returncode == 0, r.stderr[-3000:]
    assert sorted(re.findall(r'rank (\d) of 2 finished \(gloo backend', r.stdout)) == ['0', '1'], r.stdout[-2000:]
    assert len(re.findall(r'ImageCache:', r.stdout)) == 1 # printed on rank 0 only
    n = len(STANDIN['breeds'])*STANDIN['n_per_breed']
    assert len(list((tmp_path/'home').glob('pets_standin_*/*.jpg'))) == n # drawn by rank 0 first, complete

def test_saved_model_pipeline_predicts_the_same(pets):
    "`fast_infer_dls` (nothing cached, every image decoded when asked for) gives a model the pixels `fast_dls` gave it"
    files, labels, cache = pets
    dls = fast_dls(files, labels, list(range(0, len(files), 5)), size=32, bs=8, cache=cache, verbose=False)
    idls = fast_infer_dls(dls.vocab, 32, cache_size=cache.size, device='cpu')
    assert list(idls.vocab) == list(dls.vocab)
    for f in files[:3]:
        a, b = dls.test_dl([f]).one_batch()[0], idls.test_dl([f]).one_batch()[0]
        assert torch.equal(a, b)

def test_dataloaders_arguments_show_and_pass_through(pets, tmp_path):
    "`fast_dls` shows the `Datasets.dataloaders` arguments it passes on (not the one it sets), and passes them"
    import inspect
    files, labels, cache = pets
    ps = inspect.signature(fast_dls).parameters
    assert {'path', 'shuffle', 'drop_last'} <= set(ps) and 'dl_type' not in ps and 'kwargs' not in ps
    dls = fast_dls(files, labels, list(range(0, len(files), 5)), size=32, bs=8, cache=cache, verbose=False, path=tmp_path, drop_last=False)
    assert dls.path == tmp_path and dls.train.drop_last is False
    with pytest.raises(TypeError, match='takes no num_workers'): fast_dls(files, labels, [0], cache=cache, num_workers=2)
    with pytest.raises(ValueError, match='smaller than the training images'): fast_infer_dls(dls.vocab, 64, cache_size=32, device='cpu')

def test_a_fast_path_model_reloads_through_the_fast_path(tmp_path):
    "`save_safe` records the cache's side and `load_safe` rebuilds that pipeline: on noise (not flat colours) the plain one gives other pixels"
    from transfer_course.vision import image_learner
    from transfer_course.export import save_safe, load_safe, read_cfg
    files, labels = _colours(tmp_path/'colours', n=4)
    dls = fast_dls(files, labels, list(range(0, len(files), 4)), size=32, bs=4, device='cpu', verbose=False)
    learn = image_learner(dls, 'resnet18', pretrained=False)
    back = load_safe(save_safe(learn, tmp_path/'m'))
    assert read_cfg(tmp_path/'m')['cache_size'] == dls.train.cache.size
    x, xb = [torch.cat([b[0] for b in d.test_dl(files[::3])]) for d in (learn.dls, back.dls)] # (a loaded model predicts one at a time)
    assert x.shape == xb.shape and torch.allclose(x, xb, atol=1e-5), (x-xb).abs().max()

def test_a_vocab_in_its_own_order_is_kept_through_a_reload(tmp_path):
    "A vocab given unsorted (a saved model's order) stays in that order on the fast path and after `save_safe`/`load_safe`"
    from transfer_course.vision import image_learner
    from transfer_course.export import save_safe, load_safe
    files, labels = _colours(tmp_path/'colours', n=4)
    vocab = ['red', 'green', 'blue']
    dls = fast_dls(files, labels, list(range(0, len(files), 4)), size=32, bs=4, device='cpu', vocab=vocab, verbose=False)
    learn = image_learner(dls, 'resnet18', pretrained=False)
    back = load_safe(save_safe(learn, tmp_path/'m'))
    assert list(dls.vocab) == list(back.dls.vocab) == vocab
    for f in files[:2] + files[-2:]: assert back.predict(f)[0] == learn.predict(f)[0]

def test_cuda_only_options_run_on_cpu(pets):
    "channels_last batches and a channels_last learner (CUDA defaults) also work on a CPU, so their code paths are checked here"
    files, labels, cache = pets
    x = TensorImage(cache.x[:4].float().div(255))
    y = FastAug(32, channels_last=True)(x, split_idx=0)
    assert y.shape == (4,3,32,32) and y.is_contiguous(memory_format=torch.channels_last)
    dls = fast_dls(files, labels, list(range(0, len(files), 5)), size=32, bs=8, cache=cache, verbose=False)
    learn = Learner(dls, _tiny(dls.c)).to_fast(channels_last=True, verbose=False)
    assert hasattr(learn, 'channels_last') and hasattr(learn, 'plain_tensors')
    assert fit_speed(learn, n=2, warm=1) > 0
    assert ceiling_speed(_tiny(), bs=4, size=32, n=2, warm=1, channels_last=True) > 0

class _HostReads:
    "Counts the calls that copy a tensor to the host (the calls that wait for a GPU) made inside training batches"
    def __init__(self, monkeypatch):
        self.n,self.on = 0,False
        for name in ('cpu', 'item', 'tolist', 'numpy', '__float__'):
            orig = getattr(torch.Tensor, name)
            def f(t, *a, _orig=orig, **k):
                # not torch's optimizers: they read step counters kept on the host by design (fused CUDA AdamW keeps them on the GPU)
                if self.on and not sys._getframe(1).f_globals.get('__name__', '').startswith('torch.optim'): self.n += 1
                return _orig(t, *a, **k)
            monkeypatch.setattr(torch.Tensor, name, f)
    def cbs(self):
        from fastai.callback.core import Callback
        rec = self
        class Start(Callback):
            order = -1000
            def before_batch(self): rec.on = self.training
        class Stop(Callback):
            order = 1000
            def after_batch(self): rec.on = False
        return [Start(), Stop()]

def test_fast_learner_reads_no_loss_per_batch(pets, monkeypatch):
    "fastai's recorder copies each batch's loss to the host; through `to_fast` (`AsyncLoss`) no batch does, and the record is complete"
    files, labels, cache = pets
    dls = fast_dls(files, labels, list(range(0, len(files), 5)), size=32, bs=4, cache=cache, verbose=False)
    reads = {}
    for fast in (False, True):
        learn = Learner(dls, _tiny(dls.c))
        if fast: learn.to_fast(verbose=False)
        h = _HostReads(monkeypatch)
        with learn.no_bar(), learn.no_logging(): learn.fit(2, 1e-3, cbs=h.cbs())
        reads[fast] = h.n
        monkeypatch.undo()
        assert len(learn.recorder.losses) == 2*len(dls.train) and all(l.device.type=='cpu' for l in learn.recorder.losses)
        assert np.isfinite(learn.recorder.values[-1][0])
    assert reads[False] >= 2*len(dls.train), reads # the check can see fastai's per-batch copies
    assert reads[True] == 0, reads

@pytest.mark.parametrize('o', range(1, 9))
def test_gpu_decoded_photos_are_turned_as_pil_turns_them(o):
    "nvJPEG ignores the EXIF orientation tag; `upright` turns its output as PIL's `exif_transpose` does, for all 8 tags"
    import io
    from PIL import ImageOps
    from torchvision.io import decode_jpeg, ImageReadMode
    from transfer_course.fastdata import exif_orientation, upright
    im = Image.fromarray(np.random.default_rng(0).integers(0, 255, (30, 50, 3), dtype=np.uint8)) # not square, no symmetry
    ex = Image.Exif(); ex[0x0112] = o
    b = io.BytesIO(); im.save(b, 'JPEG', exif=ex, quality=95); raw = b.getvalue()
    assert exif_orientation(raw) == o
    want = torch.from_numpy(np.array(ImageOps.exif_transpose(Image.open(io.BytesIO(raw))).convert('RGB'))).permute(2, 0, 1)
    got = upright(decode_jpeg(torch.frombuffer(bytearray(raw), dtype=torch.uint8), mode=ImageReadMode.RGB), o)
    assert got.shape == want.shape and (got.int() - want.int()).abs().float().mean() < 2

def test_export_carries_no_cached_images_and_predicts_the_file_as_it_is_now(pets, tmp_path):
    "fastai's `learn.export()` of a fast-path learner holds neither the cache's images nor its file names; `predict` reads the file"
    import shutil
    from fastai.learner import load_learner
    files, labels, _ = pets
    cache = ImageCache(files, 96, 'cpu')  # 830 KB of pixels: an export that carried them would be ten times the model's size
    dls = fast_dls(files, labels, list(range(0, len(files), 5)), size=32, bs=8, cache=cache, verbose=False)
    learn = Learner(dls, _tiny(), metrics=accuracy).to_fast(verbose=False)
    learn.export(tmp_path/'m.pkl')
    data = (tmp_path/'m.pkl').read_bytes()
    assert len(data) < cache.x.numel()//4 and files[1].stem.encode() not in data
    again = load_learner(tmp_path/'m.pkl')
    assert again.dls.train.cache.x.numel() == 0
    assert torch.allclose(again.predict(files[1])[2], learn.predict(files[1])[2], atol=1e-5)
    f = tmp_path/files[1].name; shutil.copy(files[1], f)
    d = fast_dls([f, files[0]], ['x', 'y'], [], size=32, cache=ImageCache([f, files[0]], 37, 'cpu'), verbose=False)
    Image.new('RGB', (96, 72), (0, 0, 255)).save(f)  # the file changes after it was cached
    assert torch.equal(d.test_dl([f]).one_batch()[0], fast_dls([f, files[0]], ['x', 'y'], [], size=32, verbose=False, device='cpu').test_dl([f]).one_batch()[0])

def test_two_processes_score_the_whole_validation_set(tmp_path):
    "3 validation images on 2 processes: fastai pads one process's share; the accuracy printed is still k/3 (`AccumMetric`)"
    p = make_pets_standin(tmp_path/'pets', 5, size=(64, 48), breeds=['beagle', 'pug', 'Bengal'])  # 1 of 5 per breed held out
    script = tmp_path/'train_ddp.py'
    script.write_text("from transfer_course.fast import ddp_train\nif __name__ == '__main__': ddp_train()\n")
    env = {'TRANSFER_COURSE_HOME': str(tmp_path/'home'), 'CUDA_VISIBLE_DEVICES': '', 'OMP_NUM_THREADS': '1'}
    r = launch(script, '--quick', '--path', p, '--data', 'fast', '--size', 32, '--bs', 4, '--epochs', 1, n=2, env=env, timeout=600)
    assert r.returncode == 0, r.stderr[-3000:]
    acc, n = re.search(r'accuracy ([\d.]+) on (\d+) validation images', r.stdout).groups()
    assert n == '3', r.stdout[-2000:]  # what the metric was computed on: all 3 images, each once
    assert '█' not in r.stdout and re.search(r'epoch +train_loss', r.stdout)  # a log gets the epoch table, not redrawn bars
    acc = float(acc)
    assert min(abs(acc - k/3) for k in range(4)) < 1e-3, f"accuracy {acc} is not a count out of 3 validation images"

def test_launch_stopped_early_leaves_no_process_running(tmp_path):
    "A timeout (or Ctrl-C in the notebook) ends `launch` at once, with no worker left: torch starts them in sessions of their own"
    import psutil, subprocess, sys
    (tmp_path/'sleepy.py').write_text("import time\ntime.sleep(600)\n")
    code = ("import subprocess, sys\nfrom transfer_course.fast import launch\n"
            f"try: launch({str(tmp_path/'sleepy.py')!r}, n=2, env={{'CUDA_VISIBLE_DEVICES': ''}}, timeout=30)\n"
            "except subprocess.TimeoutExpired: print('stopped')\n")
    try: r = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, timeout=240)
    finally:
        left = [q for q in psutil.process_iter(['cmdline']) if 'sleepy.py' in ' '.join(q.info['cmdline'] or []) and str(tmp_path) in ' '.join(q.info['cmdline'] or [])]
        for q in left: q.kill()
    assert r.stdout.strip() == 'stopped', r.stderr[-2000:]
    assert not left, [q.info['cmdline'] for q in left]
