"Safe export: a saved model loads back as the architecture it was trained with, and predicts the same."
import re, json, pytest, torch
import numpy as np
from PIL import Image
from torchvision.models import resnet18
from fastai.vision.all import PILImage
from transfer_course.data import folder_dls, image_dls
from transfer_course.vision import image_learner
from transfer_course.export import save_safe, load_safe

@pytest.fixture(scope='module')
def dls(tmp_path_factory):
    "Reddish and bluish noise: unlike flat colours, two resizing pipelines give different pixels, so a reload through the wrong one shows"
    d, rng = tmp_path_factory.mktemp('shapes'), np.random.default_rng(0)
    for c, k in [('red', 0), ('blue', 2)]:
        (d/c).mkdir()
        for i in range(6):
            a = rng.integers(0, 120, (40, 40 + i, 3)); a[..., k] += 120
            Image.fromarray(a.astype(np.uint8)).save(d/c/f'{i}.jpg')
    return folder_dls(d, 'folder', size=32, bs=4, num_workers=0, device='cpu')

# 'resnet18' names both a timm model (a string given to `vision_learner`) and a torchvision function: the two have
# different layers, so the loader must rebuild the one that was trained
@pytest.mark.parametrize('arch', ['resnet18', resnet18])
def test_reload_rebuilds_the_architecture_trained(dls, tmp_path, arch):
    learn = image_learner(dls, arch, pretrained=False)
    save_safe(learn, tmp_path/'m')
    assert json.loads((tmp_path/'m'/'config.json').read_text())['timm'] == isinstance(arch, str)
    back = load_safe(tmp_path/'m')
    assert type(back.model[0]) is type(learn.model[0])
    f = dls.valid_ds.items[0]
    assert back.predict(f)[0] == learn.predict(f)[0] and back.predict(str(f))[0] == learn.predict(PILImage.create(f))[0] # paths too
    x = dls.one_batch()[0]
    learn.model.eval(); back.model.eval()
    with torch.no_grad(): assert torch.allclose(learn.model(x), back.model(x), atol=1e-5)

def test_configs_saved_before_the_timm_flag_still_load(dls, tmp_path):
    "A config without `timm` means what it meant before: a fastai/torchvision function where one has the name"
    learn = image_learner(dls, resnet18, pretrained=False)
    save_safe(learn, tmp_path/'m')
    cfg = json.loads((tmp_path/'m'/'config.json').read_text()); del cfg['timm']
    (tmp_path/'m'/'config.json').write_text(json.dumps(cfg))
    assert type(load_safe(tmp_path/'m').model[0]) is type(learn.model[0])
    cfg['arch'] = 'no_such_net'; (tmp_path/'m'/'config.json').write_text(json.dumps(cfg))
    with pytest.raises(ValueError, match='no_such_net'): load_safe(tmp_path/'m')

def test_unknown_architecture_is_named(dls):
    with pytest.raises(ValueError, match="Unknown architecture 'bogus_net'"): image_learner(dls, 'bogus_net')

@pytest.mark.parametrize('fast', [False, True])
def test_non_square_size_reloads_at_its_shape(dls, tmp_path, fast):
    "A model trained on (height, width) images reloads with the same input shape, and predicts the same"
    from transfer_course.data import split_by_class
    from transfer_course.fastdata import fast_dls
    files, labels = list(dls.train_ds.items) + list(dls.valid_ds.items), [dls.vocab[int(y)] for _,y in dls.train_ds] + [dls.vocab[int(y)] for _,y in dls.valid_ds]
    make = fast_dls if fast else image_dls
    d = make(files, labels, split_by_class(labels, 0.3, 0), size=(32,48), bs=4, device='cpu', **({'verbose':False} if fast else {'num_workers':0}))
    learn = image_learner(d, 'resnet18', pretrained=False)
    save_safe(learn, tmp_path/'m')
    back = load_safe(tmp_path/'m')
    f = files[0]
    x, xb = learn.dls.test_dl([f]).one_batch()[0], back.dls.test_dl([f]).one_batch()[0]
    assert tuple(x.shape[-2:]) == (32,48) and x.shape == xb.shape and torch.allclose(x, xb, atol=1e-5)
    assert torch.allclose(learn.predict(f)[2], back.predict(f)[2], atol=1e-5)

def _round_trip(learn, tmp_path, f):
    save_safe(learn, tmp_path/'m', overwrite=True)
    back = load_safe(tmp_path/'m')
    x, xb = learn.dls.test_dl([f]).one_batch()[0], back.dls.test_dl([f]).one_batch()[0]
    assert x.shape == xb.shape and torch.allclose(x, xb, atol=1e-5)
    assert torch.allclose(learn.predict(f)[2], back.predict(f)[2], atol=1e-5)
    return back

@pytest.mark.parametrize('kw', [dict(y_range=(0,1)), dict(lin_ftrs=[32], concat_pool=False, bn_final=True)])
def test_head_options_are_saved_with_the_model(dls, tmp_path, kw):
    _round_trip(image_learner(dls, 'resnet18', pretrained=False, **kw), tmp_path, dls.valid_ds.items[0])

def test_config_is_made_when_saving(tmp_path):
    "Without augmentation the item resize sets the size; after `learn.dls` changes (progressive resizing) the new size is saved"
    d = tmp_path/'shapes'
    for c, col in [('red', (220, 30, 30)), ('blue', (30, 30, 220))]:
        (d/c).mkdir(parents=True)
        for i in range(6): Image.new('RGB', (40 + i, 40), tuple(v + 5*i for v in col)).save(d/c/f'{i}.jpg')
    learn = image_learner(folder_dls(d, size=32, bs=4, num_workers=0, device='cpu', aug=False), 'resnet18', pretrained=False)
    f = learn.dls.valid_ds.items[0]
    assert _round_trip(learn, tmp_path, f).dls.test_dl([f]).one_batch()[0].shape[-2:] == (32,32)
    learn.dls = folder_dls(d, size=48, bs=4, num_workers=0, device='cpu')
    assert _round_trip(learn, tmp_path, f).dls.test_dl([f]).one_batch()[0].shape[-2:] == (48,48)

def test_what_cannot_be_rebuilt_is_refused_before_writing(dls, tmp_path):
    for learn, why in [(image_learner(dls, lambda pretrained=False, **k: resnet18(), pretrained=False), 'by name'),
                       (image_learner(dls, 'resnet18', pretrained=False, custom_head=torch.nn.Linear(512, 2)), 'custom_head')]:
        with pytest.raises(ValueError, match=why): save_safe(learn, tmp_path/'m')
        assert not (tmp_path/'m').exists()

def test_a_loaded_model_predicts_but_will_not_train_on_its_stand_in(dls, tmp_path):
    save_safe(image_learner(dls, 'resnet18', pretrained=False), tmp_path/'m')
    back = load_safe(tmp_path/'m')
    for f in (lambda: back.fit(1), back.validate, lambda: back.fine_tune(1)):
        with pytest.raises(ValueError, match='stand-in'): f()
    assert len(back.get_preds(dl=back.dls.test_dl(dls.valid_ds.items))[0]) == len(dls.valid_ds)
    back.dls = dls; back.fit(1) # given data, it trains

def test_a_loaded_model_will_not_label_items(dls, tmp_path):
    "It knows its classes, not how items were labelled: with_labels=True would give every in-memory image the stand-in's label"
    save_safe(image_learner(dls, 'resnet18', pretrained=False), tmp_path/'m')
    back = load_safe(tmp_path/'m')
    for items in (dls.valid_ds.items, [PILImage.create(f) for f in dls.valid_ds.items]):
        with pytest.raises(ValueError, match='not how your items are labelled'): back.dls.test_dl(items, with_labels=True)
        assert len(back.get_preds(dl=back.dls.test_dl(items))[0]) == len(items)

# --- a model folder from someone else is data: every entry of its config is checked before anything is built from it

@pytest.fixture(scope='module')
def saved(dls, tmp_path_factory):
    d = tmp_path_factory.mktemp('saved')/'m'
    save_safe(image_learner(dls, 'resnet18', pretrained=False), d)
    return d

@pytest.mark.parametrize('edit,msg', [
    (dict(head={'checkpoint_path': '/etc/passwd'}), "head options this version does not pass on ('checkpoint_path'"), # timm would torch.load it
    (dict(head={'weights': 'DEFAULT'}), "head options this version does not pass on ('weights'"), # a download
    (dict(head={'ps': 2}), "('head') has 'ps' 2"),
    (dict(vocab=['red', 'red']), "the label 'red' is there twice"), # the labels after it would shift
    (dict(vocab='br'), "has 'vocab' 'br', where a saved model has a list of labels"),
    (dict(vocab=['red\n0.99', 'blue']), 'holds a control character'), # it would forge a line of predict's output
    (dict(n_out=3), "says the model has 3 classes ('n_out') but lists 2 labels"),
    (dict(n_out=3, vocab=['a', 'b', 'c']), 'describes a model with 3 classes, but the last layer in'), # from the header, before building
    (dict(arch=5), "has 'arch' 5"), (dict(size=[-5, -5]), "has 'size' [-5, -5]"), (dict(size=10**6), "has 'size' 1000000"),
    (dict(norm=[[0.5]*3, [0, 0, 0]]), "has 'norm'"), (dict(norm=[[0, 0], [1]]), "has 'norm'"), (dict(aug='yes'), "has 'aug' 'yes'"),
    (dict(size=64, cache_size=32), "has 'cache_size' 32, where a saved model has null, or the side of the cached images in pixels, 64 to 4096"), # smaller than the images
    (dict(format='transfer_course.safe/2'), 'saved by a newer transfer-course'), (dict(task='audio'), "task 'audio', which this version cannot load"),
])
def test_bad_config_entries_are_refused_before_building(saved, tmp_path, edit, msg):
    import shutil
    d = tmp_path/'m'; shutil.copytree(saved, d)
    cfg = json.loads((d/'config.json').read_text()); cfg.update(edit); (d/'config.json').write_text(json.dumps(cfg))
    with pytest.raises(ValueError, match=re.escape(msg)): load_safe(d)

def test_config_without_optional_entries_still_loads(saved, tmp_path):
    "Configs saved before `timm`, `head` and `cache_size` were recorded load as before"
    import shutil
    d = tmp_path/'m'; shutil.copytree(saved, d)
    cfg = json.loads((d/'config.json').read_text())
    for k in ('head', 'cache_size', 'unsaved'): del cfg[k]
    (d/'config.json').write_text(json.dumps(cfg))
    assert load_safe(d).dls.vocab == ['blue', 'red']

# --- a save writes only what load_safe takes back

def _cfg(learn): return learn.export_cfg(learn) if callable(learn.export_cfg) else learn.export_cfg

@pytest.mark.parametrize('edit,msg', [(dict(task='audio'), "task 'audio'"), (dict(size=-5), "'size' -5"),
                                      (dict(head={'weights': 'DEFAULT'}), "('weights'"), (dict(vocab=['a','b','c']), "but lists 3 labels"),
                                      (dict(vocab=['a','b','c'], n_out=3), "has 2 outputs")])
def test_a_save_load_would_refuse_writes_nothing(dls, tmp_path, edit, msg):
    learn = image_learner(dls, 'resnet18', pretrained=False)
    with pytest.raises(ValueError, match=re.escape(msg)) as e: save_safe(learn, tmp_path/'m', cfg={**_cfg(learn), **edit})
    assert str(e.value).startswith(f"Nothing was saved into {tmp_path/'m'}") and 'copy the saved folder' not in str(e.value)
    assert 'edited' not in str(e.value) and not str(e.value).endswith(':') # the fact alone: there is no saved folder to advise on
    assert not (tmp_path/'m').exists()

def _norm(*stats):
    "Add fastai's `Normalize` with `stats` to a `DataLoaders`"
    from fastai.vision.all import Normalize
    def add(d): d.add_tfms([Normalize.from_stats(*stats)], 'after_batch'); return d
    return add

# Normalize with one mean and one std (e.g. Normalize.from_stats(0.5, 0.5)) was saved and then refused by load_safe
@pytest.mark.parametrize('tfm', [_norm(0.5, 0.5), _norm([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])], ids=['norm-1-stat', 'norm-3-stats'])
@pytest.mark.parametrize('kw', [dict(), dict(y_range=(0, 1), lin_ftrs=[16], ps=0.1, concat_pool=False, first_bn=False, bn_final=True, lin_first=True)],
                         ids=['plain', 'head'])
def test_every_savable_option_loads_back(tmp_path, tfm, kw):
    d = tmp_path/'shapes'
    for c, col in [('red', (220, 30, 30)), ('blue', (30, 30, 220))]:
        (d/c).mkdir(parents=True)
        for i in range(4): Image.new('RGB', (40 + i, 40), tuple(v + 5*i for v in col)).save(d/c/f'{i}.jpg')
    learn = image_learner(tfm(folder_dls(d, size=32, bs=4, num_workers=0, device='cpu')), 'resnet18', pretrained=False, **kw)
    _round_trip(learn, tmp_path, learn.dls.valid_ds.items[0])

def test_a_failed_save_leaves_no_folder_it_made_and_keeps_the_old_model(dls, tmp_path, monkeypatch):
    "A full disk mid-save: the old model is whole, no hidden part is left, and a folder the save made is removed, not left empty"
    import os, errno
    from transfer_course import export
    learn = image_learner(dls, resnet18, pretrained=False)
    m = save_safe(learn, tmp_path/'m'); keep = (m/'model.safetensors').read_bytes()
    monkeypatch.setattr(export, 'save_model', lambda *a, **k: (_ for _ in ()).throw(OSError(errno.ENOSPC, 'No space left on device')))
    for d in (m, tmp_path/'new'/'m'):
        with pytest.raises(OSError, match=f'No space left to write {re.escape(str(d))}'): save_safe(learn, d, overwrite=True)
    assert sorted(os.listdir(m)) == ['config.json', 'model.safetensors'] and (m/'model.safetensors').read_bytes() == keep
    assert not (tmp_path/'new').exists() # the folders this save made are gone, its parent too

def test_clear_parts_removes_only_what_killed_saves_left(tmp_path):
    "A killed save's hidden parts go (its kept-aside hf/ too); a live process's, and a file of yours that merely looks alike, stay"
    import os
    from transfer_course.export import clear_parts
    dead, live = 2**22 + 4321, os.getpid()
    gone = [f'.model.safetensors.{dead}.part', f'.config.json.{dead}.part', f'.hf.{dead}.part', f'.hf.{dead}.old.part']
    kept = [f'.model.safetensors.{live}.part', f'.notes.txt.{dead}.part', 'model.safetensors']
    for n in gone + kept: (tmp_path/n).write_text('x')
    clear_parts(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(kept)
