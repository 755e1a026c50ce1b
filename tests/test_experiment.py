"The lesson-3 checks have power: they pass for a real transfer and fail for a broken one (weights not loaded, body never trained)."
import pytest, timm
from safetensors.torch import save_file
from fastai.learner import Learner
from transfer_course import vision
from transfer_course.experiment import *
from transfer_course.models import OFFLINE_ARCH

@pytest.fixture(scope='module')
def task(): return vision_task(True)  # the lesson's settings

def gain(task, n=2, seed=0):
    return task.run(n, seed, True)['accuracy'] - task.run(n, seed, False)['accuracy']

def test_vision_transfer_clears_the_margin_and_trains_the_body(task):
    pre = task.run(2, 0, True)
    assert pre['body_move'] > 0
    assert pre['accuracy'] - task.run(2, 0, False)['accuracy'] > 0.2

def test_weights_not_loaded_misses_the_margin(task, monkeypatch, tmp_path):
    f = tmp_path / 'random_lite0.safetensors'  # a weights file of the right shape, but random: transfer of nothing
    save_file({k: v.contiguous() for k, v in timm.create_model(OFFLINE_ARCH, pretrained=False).state_dict().items()}, str(f))
    monkeypatch.setattr(vision, 'offline_weights', lambda arch=OFFLINE_ARCH: dict(pretrained_cfg_overlay=dict(file=str(f))))
    assert gain(task) < 0.2

def test_body_never_trained_is_caught(task, monkeypatch):
    monkeypatch.setattr(Learner, 'unfreeze', lambda self: None)  # fine_tune's second stage then trains the head only
    assert task.run(2, 0, True)['body_move'] == 0

def test_text_transfer_clears_the_margin_and_the_checks_have_power(monkeypatch):
    tt = text_task(True)  # the lesson's settings
    pre, scr = tt.run(32, 0, True), tt.run(32, 0, False)
    assert pre['body_move'] > 0 and pre['accuracy'] - scr['accuracy'] > 0.1
    monkeypatch.setattr(Learner, 'unfreeze', lambda self: None)
    assert tt.run(32, 0, True)['body_move'] == 0

def test_resume_knows_the_data():
    "Two CSVs with the same number of rows are different experiments: `resume` must not mix their runs"
    import pandas as pd
    from transfer_course.models import minilm_dir
    a = pd.DataFrame(dict(text=['good', 'bad', 'fine', 'awful'], label=['pos', 'neg', 'pos', 'neg'], is_valid=[False, False, True, True]))
    cfg = lambda df: TextTask(df, minilm_dir()).cfg()
    assert cfg(a) == cfg(a.copy())
    assert cfg(a) != cfg(a.assign(text=['great', 'sad', 'ok', 'bad'])) # other texts
    assert cfg(a) != cfg(a.assign(is_valid=[True, False, False, True])) # another split
