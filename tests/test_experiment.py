"The lesson-3 checks have power: they pass for a real transfer and fail for a broken one (weights not loaded, body never trained)."
import pytest, timm
import pandas as pd
from safetensors.torch import save_file
from fastai.learner import Learner
from fastai.callback.core import Callback
from transfer_course import vision
from transfer_course.experiment import *
from transfer_course.models import OFFLINE_ARCH
from transfer_course.data import faces_folder

@pytest.fixture(scope='module')
def task(): return vision_task(True)  # the lesson's settings

def test_vision_transfer_clears_the_bar_and_trains_the_body(task):
    pre = task.run(2, 0, 'pretrained')
    assert pre['body_move'] > 0 and pre['accuracy'] > 0.75  # the lesson's check, with two photos per class (chance: 0.5)

def test_weights_not_loaded_misses_the_bar(task, monkeypatch, tmp_path):
    f = tmp_path / 'random_lite0.safetensors'  # a weights file of the right shape, but random: transfer of nothing
    save_file({k: v.contiguous() for k, v in timm.create_model(OFFLINE_ARCH, pretrained=False).state_dict().items()}, str(f))
    monkeypatch.setattr(vision, 'offline_weights', lambda arch=OFFLINE_ARCH: dict(pretrained_cfg_overlay=dict(file=str(f))))
    assert task.run(2, 0, 'pretrained')['accuracy'] < 0.75

def test_body_never_trained_is_caught(task, monkeypatch):
    monkeypatch.setattr(Learner, 'unfreeze', lambda self: None)  # fine_tune's second stage then trains the head only
    assert task.run(2, 0, 'pretrained')['body_move'] == 0

def test_text_transfer_clears_the_margin_and_the_checks_have_power(monkeypatch):
    tt = text_task(True)  # the lesson's settings
    pre = tt.run(32, 0, 'pretrained')
    assert pre['body_move'] > 0 and pre['accuracy'] > 0.6  # the lesson's check (chance: 0.5)
    monkeypatch.setattr(Learner, 'unfreeze', lambda self: None)
    assert tt.run(32, 0, 'pretrained')['body_move'] == 0

def test_resume_knows_the_data():
    "Two CSVs with the same number of rows are different experiments: `resume` must not mix their runs"
    import pandas as pd
    from transfer_course.models import minilm_dir
    a = pd.DataFrame(dict(text=['good', 'bad', 'fine', 'awful'], label=['pos', 'neg', 'pos', 'neg'], is_valid=[False, False, True, True]))
    cfg = lambda df: TextTask(df, minilm_dir(), n_valid=2).cfg()
    assert cfg(a) == cfg(a.copy())
    assert cfg(a) != cfg(a.assign(text=['great', 'sad', 'ok', 'bad'])) # other texts
    assert cfg(a) != cfg(a.assign(is_valid=[True, False, False, True])) # another split
    # a fixed validation set larger than the data is refused when the task is made, not at its first run
    with pytest.raises(ValueError, match="n_valid=1 asks for 1 rows of 2 classes, fewer than one per class: ask for at least 2"): TextTask(a, minilm_dir(), n_valid=1)
    for n in (4, 512):
        with pytest.raises(ValueError, match=f"n_valid={n} asks for {n//2} rows per class, but .* have fewer: ask for at most 2"): TextTask(a, minilm_dir(), n_valid=n)
    assert TextTask(a, minilm_dir(), n_valid=None).n_valid is None

# ---- the report folder: what `run_grid` may replace, resume, and refuse (a task that does not train: these are about files)

class Counting:
    "A task whose runs are instant: accuracy 72/80 as float32 gives it (0.89999998), one epoch a second"
    unit, name = 'per class', 'fake'
    def __init__(self, sizes_seen=None, fail_at=None): self.ran, self.fail_at = [], fail_at
    def max_n(self): return 20
    def limit(self): return "class 'x' has 20"
    def cfg(self): return dict(task=self.name, data='fake')
    starts = ('pretrained', 'scratch')
    def run(self, n, seed, start):
        if self.fail_at == len(self.ran): raise KeyboardInterrupt
        self.ran.append((n, seed, start))
        import torch
        a = float(torch.tensor(72 / 80, dtype=torch.float32))
        return dict(accuracy=a, seconds=1.0, curve=[(1.0, a)], lr=1e-3)

def test_run_grid_accuracy_exactly_on_target_counts(tmp_path):
    df = run_grid(Counting(), [2], seeds=1, out=tmp_path / 'r', quiet=True)
    assert cost_table(df, 0.9).reached.all() # a float32 72/80 reaches a 0.9 target

def test_foreign_config_with_a_task_key_is_never_replaced(tmp_path):
    d = tmp_path / 'mine'; d.mkdir()
    (d / 'config.json').write_text('{"task": "churn-model", "owner": "me"}'); (d / 'runs.csv').write_text('id,score\n')
    for kw in ({}, dict(force=True), dict(resume=True)):
        with pytest.raises(FileExistsError, match='not written there by `run_grid`'): run_grid(Counting(), [2], seeds=1, out=d, quiet=True, **kw)
    assert (d / 'config.json').read_text() == '{"task": "churn-model", "owner": "me"}' and (d / 'runs.csv').read_text() == 'id,score\n'

def test_force_removes_the_old_report_first_and_resume_checks_device_and_damage(tmp_path):
    out = tmp_path / 'r'
    df = run_grid(Counting(), [2, 5], seeds=1, out=out, quiet=True)
    report(df, out, target=0.9)
    (out / 'mine.txt').write_text('keep')
    with pytest.raises(KeyboardInterrupt): run_grid(Counting(fail_at=0), [2], seeds=1, out=out, force=True, quiet=True)
    assert not (out / 'report.md').exists() and not (out / 'runs.csv').exists() and (out / 'mine.txt').read_text() == 'keep'
    run_grid(Counting(), [2], seeds=1, out=out, quiet=True, force=True)
    (out / 'runs.csv').write_text((out / 'runs.csv').read_text().replace(',cpu,', ',cuda:0,'))
    with pytest.raises(FileExistsError, match='holds runs on cuda:0, and these would run on cpu'):
        run_grid(Counting(), [2, 5], seeds=1, out=out, resume=True, quiet=True)
    (out / 'runs.csv').write_text('task,start\n"oops')
    with pytest.raises(ValueError, match='runs.csv is damaged'): run_grid(Counting(), [2], seeds=1, out=out, resume=True, quiet=True)

def test_a_second_run_grid_on_the_same_folder_is_refused(tmp_path):
    import os, socket
    out = tmp_path / 'r'; out.mkdir()
    lock = out / '.run_grid.lock'
    lock.write_text(f"{socket.gethostname()} {os.getpid()}")  # a live process holds it
    with pytest.raises(FileExistsError, match='another run_grid'): run_grid(Counting(), [2], seeds=1, out=out, quiet=True)
    lock.write_text(f"{socket.gethostname()} 999999999")  # left by a killed run: taken over
    t = Counting(); run_grid(t, [2], seeds=1, out=out, quiet=True)
    assert len(t.ran) == 2 and not lock.exists()

def test_run_grid_frees_each_run_before_the_next():
    "fastai learners hold reference cycles: unless collected, each finished run's model (on a GPU, its memory) stays to the end"
    import gc
    from fastai.test_utils import synth_learner
    class Leaky(Counting):
        def run(self, n, seed, start):
            self.alive.append(sum(isinstance(o, Learner) for o in gc.get_objects()))
            learn = synth_learner(cuda=False) # left behind, as a finished run's learner is
            return super().run(n, seed, start)
    t = Leaky(); t.alive = []
    gc.collect(); gc.disable() # no automatic collection: only run_grid's own
    try: run_grid(t, [2], seeds=2, quiet=True)
    finally: gc.enable()
    assert t.alive == [t.alive[0]] * 4

def test_run_grid_arguments(tmp_path):
    t = Counting()
    for kw, msg in [(dict(seeds=0), 'at least 1'), (dict(seeds=2.5), 'whole number of at least 1, got 2.5'), (dict(starts=()), 'starts must be'),
                    (dict(starts=('warm',)), 'starts must be'), (dict(resume=True, force=True), 'give one of them')]:
        with pytest.raises(ValueError, match=msg): run_grid(t, [2], out=tmp_path / 'never', **kw)
    with pytest.raises(ValueError, match=r"\(class 'x' has 20\)"): run_grid(t, [30], out=tmp_path / 'never')
    assert not (tmp_path / 'never').exists() and t.ran == []
    df = run_grid(t, [2], seeds=2.0, starts='pretrained', quiet=True)  # a whole float, and one start as a string
    assert len(df) == 2 and set(df.start) == {'pretrained'}
    assert labels_needed(df).scratch_needs.isna().all()  # no scratch runs: nothing to say, not "> 0"
    with pytest.raises(ValueError, match='no runs'): report(df.iloc[:0], tmp_path / 'rep', target=0.9)
    with pytest.raises(ValueError, match='between 0 and 1'): cost_table(df, 90)

def test_image_resume_knows_the_files_not_the_spelling(tmp_path, monkeypatch):
    "Relabelled images are another experiment; the same folder spelled another way is the same one"
    from PIL import Image
    d = tmp_path / 'imgs'
    for c in ('red', 'green'):
        for i in range(5): (d / c).mkdir(parents=True, exist_ok=True); Image.new('RGB', (40, 40), (9 * i, 50, 50)).save(d / c / f'{i}.jpg')
    cfg = ImageTask(d, quick=True).cfg()
    monkeypatch.chdir(tmp_path)
    assert ImageTask('imgs', quick=True).cfg() == cfg
    (d / 'red' / '4.jpg').rename(d / 'green' / 'r4.jpg')
    assert ImageTask(d, quick=True).cfg()['data_hash'] != cfg['data_hash']

def test_image_task_keeps_a_folders_own_split(tmp_path):
    "train/valid/test folders: refused as a pool to split again; with valid_name, validation is the valid folder, draws come from train, test is left out"
    from PIL import Image
    d = tmp_path / 'split'
    for s, n in (('train', 4), ('valid', 2), ('test', 2)):
        for c in ('red', 'green'):
            (d / s / c).mkdir(parents=True)
            for i in range(n): Image.new('RGB', (40, 40), (9 * i, 50, 50)).save(d / s / c / f'{i}.jpg')
    with pytest.raises(ValueError, match="--valid-name valid.*compare"): ImageTask(d, 'parent', quick=True)
    with pytest.warns(UserWarning, match=r'4 images under other split folders \(test\) are left out'):
        t = ImageTask(d, 'parent', valid_name='valid', quick=True)
    assert sorted(t.files[i].parent.parent.name for i in t.valid) == ['valid'] * 4
    assert all(t.files[i].parent.parent.name == 'train' for ix in t.pool.values() for i in ix) and t.max_n() == 4
    assert t.cfg()['valid_name'] == 'valid' and "outside the 'valid' folders" in t.limit()
    dls = t.dls(2, seed=0)
    assert sorted(map(str, dls.valid_ds.items)) == sorted(str(t.files[i]) for i in t.valid) and len(dls.train_ds) == 4

def test_report_of_one_seed_shows_no_spread(tmp_path):
    df = run_grid(Counting(), [2], seeds=1, quiet=True)
    md = report(df, tmp_path / 'rep', target=0.9)
    assert '| 2 | 0.900 | 0.900 | — | — |' in md  # one run per size has no spread to show (not 0.000)

def test_a_report_folder_that_cannot_be_written_says_what_to_do(tmp_path, monkeypatch):
    "A read-only course folder (a shared JupyterHub): the message names `out` and TRANSFER_COURSE_RUNS, not a bare [Errno 13]"
    import os
    from pathlib import Path
    ro = tmp_path / 'ro'; ro.mkdir(); ro.chmod(0o555)
    if os.access(ro, os.W_OK): # root writes anywhere: simulate what everyone else meets
        monkeypatch.setattr(os, 'access', lambda p, mode: not str(p).startswith(str(ro)))
        def refuse(self, *a, **k): raise PermissionError(13, 'Permission denied', str(self))
        monkeypatch.setattr(Path, 'mkdir', refuse)
    with pytest.raises(PermissionError, match="report folder .*ro/runs cannot be written here.*TRANSFER_COURSE_RUNS"):
        run_grid(Counting(), [2], seeds=1, quiet=True, out=ro / 'runs')

# ---- extending the experiment, as lesson 3's exercises ask: a third start, and scratch's own augmentation

class Frozen(ImageTask):
    "Exercise 3's third start: pretrained, body frozen throughout (the head alone trains)"
    starts = ImageTask.starts + ('frozen',)
    def run(self, n, seed, start):
        if start != 'frozen': return super().run(n, seed, start)
        learn = self.learner(n, seed, True)  # fastai's pretrained learner starts frozen
        with learn.no_bar(), learn.no_logging(): learn.fit_one_cycle(self.epochs, self.lr)
        return run_result(learn, self.lr)

def test_a_third_start_is_run_and_reported(tmp_path):
    from transfer_course.data import faces_folder
    df = run_grid(Frozen(faces_folder(), size=64, epochs=2, quick=True), [2], seeds=1, starts=('pretrained', 'frozen'), quiet=True)
    assert df.set_index('start').body_move['frozen'] == 0 < df.set_index('start').body_move['pretrained']
    assert set(cost_table(df, 0.5).start) == {'pretrained', 'scratch', 'frozen'}  # every start found, and the lesson's two
    md = report(df, tmp_path / 'rep', target=0.5)
    assert 'frozen accuracy' in md and 'pretrained accuracy' in md
    assert [t.get_text() for t in plot_accuracy(df).get_legend().get_texts()] == ['pretrained', 'frozen']
    with pytest.raises(ValueError, match="start must be one of"): ImageTask(faces_folder(), quick=True).run(2, 0, 'frozen')

def test_scratch_gets_its_own_augmentation():
    from fastai.vision.augment import RandomResizedCropGPU
    from transfer_course.data import faces_folder
    t = ImageTask(faces_folder(), quick=True, scratch_aug=dict(min_scale=0.35))
    crop = lambda learn: next(f for f in learn.dls.train.after_batch.fs if isinstance(f, RandomResizedCropGPU)).min_scale
    assert (crop(t.learner(2, 0, True)), crop(t.learner(2, 0, False))) == (0.75, 0.35)
    assert t.cfg()['scratch_aug'] == dict(min_scale=0.35) and 'aug' not in t.cfg()  # the default is not recorded: older reports resume

def test_image_task_names_copies_as_folder_dls_does(tmp_path):
    "One photo under two classes, or on both sides of the fixed split, is named (ImageTask splits by itself, without `folder_dls`)"
    import shutil, warnings
    from PIL import Image
    d = tmp_path / 'imgs'
    for k, c in enumerate(('red', 'green')):
        (d / c).mkdir(parents=True)
        for i in range(5): Image.new('RGB', (40, 40), (9 * i, 50 + 100 * k, 50)).save(d / c / f'{i}.png')
    with warnings.catch_warnings(): warnings.simplefilter('error'); ImageTask(d, quick=True) # distinct photos: no warning
    shutil.copy(d / 'red' / '0.png', d / 'green' / 'also_red.png')
    with pytest.warns(UserWarning, match=r"more than once under different labels \(the same bytes\), e.g. green/also_red.png and red/0.png"): ImageTask(d, quick=True)

def test_report_says_chance_and_warns_on_a_target_not_above_it(tmp_path):
    "4:1 validation labels: the report states the majority's score, and a target at or below it gets a warning naming one above"
    import warnings, pandas as pd
    df = run_grid(Counting(), [2], seeds=1, quiet=True)
    labs = ['no'] * 8 + ['yes'] * 2
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter('always')
        md = report(df, tmp_path / 'rep', target=0.9, valid_labels=labs)
    assert "Chance: always answering 'no' scores 0.800 on this validation set (8 of its 10 items)." in md and 'Warning' not in md and not w
    with pytest.warns(UserWarning, match=r"the target 0.8 is not above chance: .* e.g. --target 0.9 \(target=0.9\)"):
        md = report(df, tmp_path / 'rep', target=0.8, valid_labels=labs)
    assert '**Warning**: the target 0.8 is not above chance' in (tmp_path / 'rep' / 'report.md').read_text()
    texts = pd.DataFrame(dict(text=[f't{i}' for i in range(40)], label=['a'] * 32 + ['b'] * 8, is_valid=[i % 2 == 1 for i in range(40)]))
    assert sorted(TextTask(texts, 'm', n_valid=8).valid_labels()) == ['a'] * 4 + ['b'] * 4  # the class-balanced draw every run validates on
    assert sorted(TextTask(texts, 'm', n_valid=None).valid_labels()) == ['a'] * 16 + ['b'] * 4  # all of a file's validation rows

# ---- a fair budget for scratch, and the raw-pixel baseline

class Stop(Exception): pass

def test_scratch_trains_a_budget_of_steps_not_only_epochs(monkeypatch):
    "With two images per class an epoch is one step: 3x the pretrained epochs would be 15 steps, too few to learn anything"
    seen = []
    def fit(self, n_epoch, *a, **kw): seen.append((n_epoch, len(self.dls.train))); raise Stop
    monkeypatch.setattr(Learner, 'fit_one_cycle', fit)
    t = vision_task(True)
    for n in (2, 5, 20):
        with pytest.raises(Stop): t.run(n, 0, 'scratch')
    assert [e*b for e,b in seen[:2]] == [t.scratch_steps]*2 and seen[0][0] == 120 # one batch an epoch
    assert seen[2][0] >= t.scratch_epochs and seen[2][0]*seen[2][1] >= t.scratch_steps
    assert ImageTask(faces_folder(), quick=True, scratch_steps=0).epochs_at(2) == t.scratch_epochs # never fewer epochs than asked
    assert t.cfg()['scratch_steps'] == t.scratch_steps # `resume` keeps runs of one budget apart

def test_text_scratch_trains_a_budget_of_steps(monkeypatch):
    from transfer_course import text as tx
    seen = []
    def fit_text(learn, epochs, lr): seen.append((epochs, len(learn.dls.train))); raise Stop
    monkeypatch.setattr(tx, 'fit_text', fit_text)
    tt = text_task(True)
    for n in (32, 128):
        with pytest.raises(Stop): tt.run(n, 0, 'scratch')
    assert [((e+1)*b) for e,b in seen] == [tt.scratch_steps]*2 # `fit_text` trains scratch epochs+1
    with pytest.raises(Stop): tt.run(32, 0, 'pretrained')
    assert seen[-1][0] == tt.epochs # pretrained keeps lesson 2's recipe

def test_few_valids_validates_evenly_and_the_last_epoch():
    from fastai.test_utils import synth_learner
    class Count(Callback): # the epochs whose validation ran (fastai calls `after_validate` after a cancelled one too)
        def before_fit(self): self.epochs = []
        def before_validate(self): self.ran = True
        def after_cancel_validate(self): self.ran = False
        def after_validate(self):
            if self.ran: self.epochs.append(self.epoch)
    for times, want in [(3, [3, 7, 9]), (10, list(range(10))), (1, [9])]:
        learn = synth_learner(cuda=False, cbs=[FewValids(times), Count()])
        with learn.no_bar(), learn.no_logging(): learn.fit(10)
        assert learn.count.epochs == want
    learn.count.epochs = []; learn.validate(); assert len(learn.count.epochs) == 1 # `validate` itself is never skipped

def test_valid_last_is_few_valids_of_one():
    "Lesson 2's `ValidLast` and lesson 3's `FewValids(1)` validate the same epochs: the last of each `fit`"
    from fastai.test_utils import synth_learner
    from transfer_course.text import ValidLast
    class Count(Callback):
        def before_fit(self): self.epochs = getattr(self, 'epochs', [])
        def before_validate(self): self.ran = True
        def after_cancel_validate(self): self.ran = False
        def after_validate(self):
            if self.ran: self.epochs.append((self.n_epoch, self.epoch, self.training))
    def seen(cb):
        learn = synth_learner(cuda=False, cbs=[cb, Count()])
        with learn.no_bar(), learn.no_logging():
            for n in (1, 2, 5): learn.fit(n) # (each `fit` counts from epoch 0)
            learn.validate(); learn.get_preds()
        return learn.count.epochs
    last, one = seen(ValidLast()), seen(FewValids(1))
    assert last == one and last[:3] == [(1, 0, False), (2, 1, False), (5, 4, False)] and len(last) == 5 # and `validate`, `get_preds` ran

def test_pixels_baseline_uses_the_runs_draws_and_validation_set(monkeypatch):
    t, asked = vision_task(True), []
    pixels = ImageTask.pixels
    monkeypatch.setattr(ImageTask, 'pixels', lambda self, ix: asked.append(list(ix)) or pixels(self, ix))
    r = t.run(5, 1, 'pixels')
    dls = t.dls(5, 1)
    assert sorted(str(t.files[i]) for i in asked[1]) == sorted(map(str, dls.train_ds.items))
    assert sorted(str(t.files[i]) for i in asked[0]) == sorted(map(str, dls.valid_ds.items))
    assert r['accuracy'] > 0.7 and r['curve'] == [(r['seconds'], r['accuracy'])] and r['body_move'] is None
    df = run_grid(t, [2], seeds=1, starts='pixels', quiet=True)
    assert df.start.tolist() == ['pixels'] and by_size(df).runs.tolist() == [1]

def test_resume_refuses_a_report_from_before_a_setting_existed(tmp_path):
    class Newer(Counting):
        def cfg(self): return {**super().cfg(), 'scratch_steps': 120}
    run_grid(Counting(), [2], seeds=1, out=tmp_path / 'r', quiet=True)
    with pytest.raises(FileExistsError, match=r"scratch_steps differ; it was written by an older version of the course, before scratch_steps existed"):
        run_grid(Newer(), [2], seeds=1, out=tmp_path / 'r', quiet=True, resume=True)

def test_text_task_on_your_file_takes_the_modes_settings(tmp_path):
    "`text_task(quick=False, data=...)` runs with full mode's batches, validations and steps, as IMDB does; `n_valid` may be given"
    f = tmp_path / 't.csv'
    pd.DataFrame(dict(text=[f"text {i} {'good' if i % 2 else 'bad'}" for i in range(200)], label=['pos', 'neg'] * 100)).to_csv(f, index=False)
    full, quick = text_task(False, data=f), text_task(True, data=f)
    assert (full.bs, full.valid_last, full.scratch_steps, full.n_valid) == (32, False, 120, None)
    assert (quick.bs, quick.valid_last, quick.scratch_steps) == (16, True, 48)
    assert text_task(True, data=f, n_valid=10).n_valid == 10 and text_task(False, data=f, bs=8).bs == 8

def test_a_save_that_fails_leaves_the_last_one_whole_and_nothing_half_written(tmp_path, monkeypatch):
    "`_save` writes each file to a hidden name first: a failing write (a full disk) leaves no file behind, visible or hidden"
    import errno, pandas as pd
    from transfer_course.grid import _save
    out = tmp_path / 'r'
    run_grid(Counting(), [2], seeds=1, out=out, quiet=True)
    before = {f.name: f.read_bytes() for f in out.iterdir()}
    from pathlib import Path
    def full(self, f, *a, **k): Path(f).write_text('[{"half'); raise OSError(errno.ENOSPC, 'No space left on device')
    monkeypatch.setattr(pd.DataFrame, 'to_json', full)
    with pytest.raises(OSError, match='No space left'): _save(pd.read_csv(out / 'runs.csv'), out, {})
    assert sorted(f.name for f in out.iterdir()) == sorted(before) and (out / 'runs.json').read_bytes() == before['runs.json']

def test_a_first_run_grid_that_fails_leaves_no_folder(tmp_path):
    with pytest.raises(KeyboardInterrupt): run_grid(Counting(fail_at=0), [2], seeds=1, out=tmp_path / 'r', quiet=True)
    assert not (tmp_path / 'r').exists()
    (tmp_path / 'mine').mkdir() # one that was there before stays, empty or not
    with pytest.raises(KeyboardInterrupt): run_grid(Counting(fail_at=0), [2], seeds=1, out=tmp_path / 'mine', quiet=True)
    assert (tmp_path / 'mine').is_dir()

def test_the_accuracy_section_is_the_reports(tmp_path):
    "`compare` prints `accuracy_md`; the report holds the same section, whatever its labels hold (Markdown's image mark '![' too)"
    df = run_grid(Counting(), [2, 5], seeds=1, quiet=True)
    labs = ['![x]'] * 8 + ['y'] * 2
    acc = accuracy_md(df, 'items', labs)
    assert acc.startswith('## Accuracy (mean over seeds)') and acc.endswith("Chance: always answering '![x]' scores 0.800 on this validation set (8 of its 10 items).")
    assert f"\n\n{acc}\n\n![accuracy vs labelled examples]" in report(df, tmp_path / 'rep', target=0.9, unit='items', valid_labels=labs)

def test_a_report_that_named_the_recipe_bn_stats_resumes(tmp_path):
    "Reports written when ImageTask's `keep_bn` was called `bn_stats` resume under the new name (same setting, other word)"
    import json
    class Keeps(Counting):
        def cfg(self): return {**super().cfg(), 'keep_bn': True}
    run_grid(Keeps(), [2], seeds=1, out=tmp_path / 'r', quiet=True)
    f = tmp_path / 'r' / 'config.json'; cfg = json.loads(f.read_text())
    cfg['bn_stats'] = cfg.pop('keep_bn'); f.write_text(json.dumps(cfg))
    again = Keeps(); run_grid(again, [2], seeds=1, out=tmp_path / 'r', quiet=True, resume=True)
    assert again.ran == [] # resumed: nothing trains again
    cfg['bn_stats'] = False; f.write_text(json.dumps(cfg)) # the other recipe, under the old name: still refused
    with pytest.raises(FileExistsError, match=r'\(keep_bn differ\)'): run_grid(Keeps(), [2], seeds=1, out=tmp_path / 'r', quiet=True, resume=True)

# ---- lesson 3's image task, beyond the checks the lesson shows

def test_image_task_draws_and_budgets(task):
    "The validation set never changes and is never drawn; every start trains on `draw`; scratch gets its epochs and its steps"
    assert len(set(task.valid)) == len(task.valid)
    d5 = task.dls(5, 0)
    assert sorted(map(str, d5.train_ds.items)) == sorted(str(task.files[i]) for i in task.draw(5, 0))
    assert set(map(str, d5.valid_ds.items)) == {str(task.files[i]) for i in task.valid}
    k = len(task.pool)
    for n in (2, 5, 20):
        assert task.epochs_at(n) >= task.scratch_epochs and task.epochs_at(n) * (n * k // even_bs(n * k, task.bs)) >= task.scratch_steps

def test_even_bs_never_leaves_more_out_than_bs():
    for n in range(1, 200):
        for bs in (1, 2, 7, 16, 64):
            b = even_bs(n, bs)
            assert min(n, bs // 2) <= b <= bs and n % b <= n % bs

def test_reading_functions_edge_cases():
    import math
    assert math.isnan(time_to_target('[[1, 0.5]]', 0.9))  # a curve as stored in runs.csv, never at the target
    df = pd.DataFrame(dict(start=['pretrained', 'scratch'] * 2, n=[2, 2, 8, 8], accuracy=[0.9, 0.6, 0.95, 0.85], seed=0))
    assert labels_needed(df).scratch_needs.tolist() == ['> 8', '> 8']
    assert by_size(df.assign(start=['pixels', 'pretrained'] * 2, seconds=1.)).start.tolist() == ['pretrained', 'pixels'] * 2  # the lesson's starts first

def test_report_has_its_sections_and_plots(tmp_path):
    md = report(run_grid(Counting(), [2, 5], seeds=1, quiet=True), tmp_path / 'rep', target=0.9)
    assert 'Labels needed' in md and (tmp_path / 'rep' / 'accuracy_vs_labels.png').stat().st_size > 1000
