"Bad and unusual image folders: each gets a clear message, and nothing of the user's is changed."
import hashlib, shutil, warnings
from collections import Counter
from pathlib import Path
import numpy as np, pytest
from PIL import Image
from hypothesis import given, settings, strategies as st
from transfer_course.core import OfflineError, QUICK_VAR
from transfer_course.data import *

def jpg(path, color=(200, 50, 50), size=(48, 40), mode='RGB'):
    path.parent.mkdir(parents=True, exist_ok=True)
    im = Image.new('RGB', size, color)
    if mode != 'RGB': im = im.convert(mode)
    im.save(path, 'PNG' if path.suffix == '.png' else 'JPEG')
    return path

def snapshot(d):
    return {str(f.relative_to(d)): hashlib.md5(f.read_bytes()).hexdigest() for f in sorted(Path(d).rglob('*')) if f.is_file()}

@pytest.fixture
def folder(tmp_path):
    "Two classes in sub-folders, 6 images each, plus a mess: text file, truncated JPEG, fake JPEG, grey/RGBA/CMYK"
    d = tmp_path / 'my_pets'
    for c, col in [('beagle', (200, 60, 40)), ('pug', (40, 60, 200))]:
        for i in range(6): jpg(d / c / f'{i}.jpg', tuple(v + 3 * i for v in col))
    (d / 'notes.txt').write_text('not an image')
    raw = (d / 'beagle' / '0.jpg').read_bytes()
    (d / 'beagle' / 'cut.jpg').write_bytes(raw[: len(raw) // 2])
    (d / 'pug' / 'fake.jpg').write_text('<html>a web page saved as .jpg</html>')
    jpg(d / 'pug' / 'grey.jpg', mode='L'); jpg(d / 'pug' / 'alpha.png', mode='RGBA'); jpg(d / 'beagle' / 'cmyk.jpg', mode='CMYK')
    return d

def test_missing_empty_and_imageless_folders(tmp_path):
    with pytest.raises(FileNotFoundError, match='does not exist'): scan_images(tmp_path / 'nope')
    (tmp_path / 'empty').mkdir()
    with pytest.raises(ValueError, match='is empty'): scan_images(tmp_path / 'empty')
    (tmp_path / 'docs').mkdir(); (tmp_path / 'docs' / 'a.pdf').write_bytes(b'%PDF-1.4')
    with pytest.raises(ValueError, match='No usable images.*a.pdf'): scan_images(tmp_path / 'docs')
    f = jpg(tmp_path / 'one.jpg')
    with pytest.raises(NotADirectoryError, match='give the folder'): scan_images(f)

def test_scan_sorts_a_messy_folder(folder):
    s = scan_images(folder)
    assert {f.name for f, _ in s.broken} == {'cut.jpg', 'fake.jpg'}
    assert all(Path(f).is_absolute() or Path(f).exists() for f, _ in s.broken)
    assert [f.name for f in s.skipped] == ['notes.txt']
    assert len(s.images) == 12 + 3
    assert s.modes['L'] == 1 and s.modes['RGBA'] == 1 and s.modes['CMYK'] == 1
    text = repr(s)
    assert 'cut.jpg' in text and 'fake.jpg' in text and '1 files skipped' in text and 'converted' in text

def test_broken_files_never_reach_training_and_nothing_changes(folder, capsys):
    before = snapshot(folder)
    dls = folder_dls(folder, 'folder', size=32, bs=4, num_workers=0, device='cpu')
    assert 'broken image files left out' in capsys.readouterr().out
    assert dls.vocab == ['beagle', 'pug']
    n = 0
    for dl in (dls.train, dls.valid):
        for xb, yb in dl: assert xb.shape[1] == 3; n += len(xb)  # every item decodes, all as RGB
    assert n >= 12
    assert snapshot(folder) == before

def test_class_with_too_few_images(folder):
    jpg(folder / 'chihuahua' / '0.jpg')
    with pytest.raises(ValueError, match=r"at least 2 examples.*'chihuahua': 1"):
        folder_dls(folder, 'folder', size=32, num_workers=0)

def test_flat_folder_with_folder_labels_is_explained(tmp_path):
    for i in range(4): jpg(tmp_path / 'flat' / f'img{i}.jpg')
    with pytest.raises(ValueError, match='sub-folder'): folder_dls(tmp_path / 'flat', 'folder', num_workers=0)

def test_label_regex_matching_nothing(folder):
    with pytest.raises(ValueError, match='matches none of the'): folder_dls(folder, r'^(dog)_\d+\.jpg$', num_workers=0)
    with pytest.raises(ValueError, match='needs a group'): folder_dls(folder, r'^dog_\d+\.jpg$', num_workers=0)
    with pytest.raises(ValueError, match='not a valid regular expression'): folder_dls(folder, r'^(dog', num_workers=0)

def test_partly_matching_regex_warns_and_leaves_out(tmp_path):
    for b in ('beagle', 'pug'):
        for i in range(3): jpg(tmp_path / 'p' / f'{b}_{i}.jpg')
    jpg(tmp_path / 'p' / 'holiday.jpg')
    with pytest.warns(UserWarning, match='does not match 1 of 7'):
        files, labels = label_images(scan_images(tmp_path / 'p'), 'pets')
    assert sorted(set(labels)) == ['beagle', 'pug'] and len(files) == 6

def test_fewer_images_than_a_batch_still_trains(tmp_path, capsys):
    from fastai.vision.all import vision_learner, accuracy
    for c, col in [('a', (250, 10, 10)), ('b', (10, 10, 250))]:
        for i in range(3): jpg(tmp_path / 'tiny' / c / f'{i}.jpg', col)
    dls = folder_dls(tmp_path / 'tiny', 'folder', size=32, bs=64, num_workers=0, device='cpu')
    assert 'using bs=4' in capsys.readouterr().out
    learn = vision_learner(dls, 'resnet18', pretrained=False, metrics=accuracy)  # timm name, random init: no download
    with learn.no_bar(), learn.no_logging(): learn.fit(1, 1e-3)
    assert np.isfinite(learn.recorder.losses[-1].item())

def test_pets_labelling_rule_and_standin(tmp_path):
    p = make_pets_standin(tmp_path / 'standin', n_per_breed=2, size=(64, 48), breeds=['beagle', 'pug', 'Siamese'])
    files, labels = label_images(scan_images(p), 'pets', keep=is_dog)
    assert Counter(labels) == Counter(beagle=2, pug=2)
    with pytest.raises(ValueError, match='<breed>_<number>.jpg'): pets_label('holiday.jpg')
    again = make_pets_standin(tmp_path / 'standin', n_per_breed=2, size=(64, 48), breeds=['beagle', 'pug', 'Siamese'])
    assert again == p and len(list(p.iterdir())) == 6

def test_full_mode_offline_fails_fast_naming_quick_mode(monkeypatch, tmp_path):
    from fastai.data import external
    monkeypatch.setenv('FASTAI_HOME', str(tmp_path / 'fastai_home'))  # no cached copy of Pets
    monkeypatch.setenv(QUICK_VAR, '0')  # a full-mode learner, offline
    external.fastai_cfg.cache_clear()
    try: import socket; socket.create_connection(('s3.amazonaws.com', 443), 2).close(); pytest.skip('this machine is online')
    except OSError: pass
    try:
        with pytest.raises(OfflineError, match=QUICK_VAR): pets_path(quick=False)
        monkeypatch.setenv(QUICK_VAR, '1')  # quick mode on, but full-mode data asked for: "run quick mode" would not help
        with pytest.raises(OfflineError, match='Quick mode is on'): pets_path(quick=False)
    finally: external.fastai_cfg.cache_clear()

@settings(max_examples=60, deadline=None)
@given(counts=st.lists(st.integers(2, 30), min_size=2, max_size=8), pct=st.floats(0.05, 0.95), seed=st.integers(0, 99))
def test_split_by_class_keeps_every_class_on_both_sides(counts, pct, seed):
    labels = [f'c{i}' for i, n in enumerate(counts) for _ in range(n)]
    v = set(split_by_class(labels, pct, seed))
    train = Counter(l for i, l in enumerate(labels) if i not in v)
    valid = Counter(l for i, l in enumerate(labels) if i in v)
    assert set(train) == set(valid) == set(labels)
    for c, n in Counter(labels).items(): assert 1 <= valid[c] <= n - 1 and abs(valid[c] - pct * n) < 1 # the share asked for, to the image
    assert split_by_class(labels, pct, seed) == sorted(v) # the same seed, the same split

def test_split_by_class_leaves_each_class_a_training_item_and_needs_two_classes():
    v = split_by_class(['a', 'a', 'b', 'b', 'b'], 0.9) # a large share still leaves each class one training item
    assert sorted(l for i, l in enumerate('aabbb') if i not in v) == ['a', 'b'], v
    with pytest.raises(ValueError, match=r"Only one class \('a'\)"): split_by_class(['a'] * 5)

def test_images_appear_whole_and_leftovers_are_ignored(tmp_path, monkeypatch):
    "Writers rename a finished hidden file into place, so a process reading the folder meanwhile never sees half an image"
    import os
    seen, real = [], os.replace
    def replace(src, dst): seen.append((Path(src).name, Path(dst).exists(), Image.open(src).size)); real(src, dst)
    monkeypatch.setattr(os, 'replace', replace)
    kw = dict(n_per_breed=1, breeds=['beagle', 'pug'], size=(50, 40))
    make_pets_standin(tmp_path/'s', **kw)
    assert [(n.startswith('.'), there, size) for n, there, size in seen] == [(True, False, (50, 40))] * 2
    (tmp_path/'s'/'.beagle_1.jpg.999.part').write_bytes(b'half')  # what a writer killed mid-way leaves
    make_pets_standin(tmp_path/'s', **kw)  # not refused as a stranger, nothing rewritten
    assert len(seen) == 2 and len(scan_images(tmp_path/'s').images) == 2
    faces = faces_folder(tmp_path/'f')
    assert len(seen) == 202 and not list(faces.rglob('.*'))

def test_folder_labels_are_the_class_folders_under_the_root(tmp_path):
    "Nested folders are labelled by the class folder under the root (not the innermost one), and the user is told"
    d = tmp_path / 'pets'
    for c in ('cats', 'dogs'):
        for sub in ('indoor', 'outdoor'):
            for i in range(3): jpg(d / c / sub / f'{i}.jpg')
    jpg(d / 'loose.jpg'); (d / 'birds').mkdir(); (d / 'birds' / 'notes.txt').write_text('no photos yet')
    with pytest.warns(UserWarning) as w: files, labels = label_images(scan_images(d))
    msgs = ' '.join(str(x.message) for x in w)
    assert sorted(set(labels)) == ['cats', 'dogs'] and len(files) == 12
    assert 'in no class folder' in msgs and 'loose.jpg' in msgs
    assert "label='parent' (--label parent), which labels each image by its own folder, would merge folders of one name: " \
           "'indoor' gathers cats/indoor and dogs/indoor (2 such classes in all)" in msgs # not advised: it would merge cats with dogs
    assert 'no usable image are left out: birds' in msgs
    with pytest.warns(UserWarning, match=r"label='parent' \(--label parent\) labels each image by the folder it sits in.*'indoor' gathers cats/indoor and dogs/indoor"):
        assert sorted(set(label_images(scan_images(d), 'parent')[1])) == ['indoor', 'outdoor', 'pets'] # fastai's rule, on request

def test_parent_is_advised_only_where_it_keeps_classes_apart(tmp_path):
    "Deeper folders of unique names: 'parent' is the way to label by them; the same names in several classes: it would merge them"
    d = tmp_path / 'breeds'
    for c, subs in (('dogs', ('beagle', 'pug')), ('cats', ('siamese',))):
        for s in subs:
            for i in range(2): jpg(d / c / s / f'{i}.jpg')
    with pytest.warns(UserWarning, match=r"Pass label='parent' \(--label parent\) to label each image by its own folder instead"): label_images(scan_images(d))
    with warnings.catch_warnings():
        warnings.simplefilter('error'); assert sorted(set(label_images(scan_images(d), 'parent')[1])) == ['beagle', 'pug', 'siamese']
    y = tmp_path / 'years'
    for c in ('cat', 'dog'):
        for s in ('2023', '2024'): jpg(y / c / s / '0.jpg')
    with pytest.warns(UserWarning) as w: label_images(scan_images(y))
    assert "Pass label='parent'" not in str(w[0].message) and "'2023' gathers cat/2023 and dog/2023" in str(w[0].message)
    with pytest.warns(UserWarning, match="use label='folder' \\(--label folder\\)"): label_images(scan_images(y), 'parent')
    t = tmp_path / 'split' # train/valid folders hold the same class names by design: no warning
    for s in ('train', 'valid'):
        for c in ('cat', 'dog'): jpg(t / s / c / '0.jpg')
    with warnings.catch_warnings():
        warnings.simplefilter('error'); assert sorted(set(label_images(scan_images(t), 'parent', split_ok=True)[1])) == ['cat', 'dog']

def test_class_folders_differing_only_in_case_are_named(tmp_path):
    "`Cats/` and `cats/` (one folder on a Mac) stay two classes, as fastai makes them, but the user is told"
    d = tmp_path / 'pets'
    for c in ('Cats', 'cats', 'dogs'):
        for i in range(3): jpg(d / c / f'{i}.jpg')
    with pytest.warns(UserWarning, match="Class folders that differ only in case, spaces, underscores or Unicode form are separate classes: 'Cats', 'cats'"):
        files, labels = label_images(scan_images(d))
    assert sorted(set(labels)) == ['Cats', 'cats', 'dogs']

def test_train_valid_split_folders_are_refused_with_a_hint(tmp_path):
    for s in ('train', 'valid'):
        for c in ('cat', 'dog'): jpg(tmp_path / 'data' / s / c / '0.jpg')
    with pytest.raises(ValueError, match=r"split into train, valid folders.*data/train"): label_images(scan_images(tmp_path / 'data'))

def test_linked_class_folder_is_followed_once(tmp_path):
    for i in range(2): jpg(tmp_path / 'elsewhere' / 'c' / f'{i}.jpg'); jpg(tmp_path / 'data' / 'a' / f'{i}.jpg')
    (tmp_path / 'data' / 'c').symlink_to(tmp_path / 'elsewhere' / 'c', target_is_directory=True)
    (tmp_path / 'data' / 'a' / 'loop').symlink_to(tmp_path / 'data', target_is_directory=True) # a cycle: walked once
    _, labels = label_images(scan_images(tmp_path / 'data'))
    assert Counter(labels) == {'a': 2, 'c': 2}

def test_deep_pixel_images_are_left_out_not_whitened(tmp_path):
    "16-bit and floating-point images would be clipped to white or black by fastai: they are listed as broken"
    d = tmp_path / 'modes'
    for c in ('a', 'b'): jpg(d / c / '0.jpg'); jpg(d / c / '1.jpg')
    Image.fromarray((np.arange(64 * 64).reshape(64, 64) * 16).astype(np.uint16)).save(d / 'a' / 'deep.png')
    Image.fromarray(np.random.rand(32, 32).astype(np.float32)).save(d / 'b' / 'float.tif')
    s = scan_images(d)
    assert sorted(f.name for f, _ in s.broken) == ['deep.png', 'float.tif'] and len(s.images) == 4
    assert all('8-bit' in why for _, why in s.broken)
    with pytest.raises(ValueError, match='8-bit'): upright_image(d / 'a' / 'deep.png') # `predict` and the fast path's cache too

def test_photos_are_turned_upright_everywhere(tmp_path):
    "A photo stored sideways with an EXIF orientation tag loads as viewers show it: standard pipeline, fast path, nvJPEG's stand-in"
    import torch
    from PIL import ImageOps
    from fastai.vision.all import PILImage
    from transfer_course.fastdata import load_square, _load_cuda
    im = Image.new('RGB', (60, 30), (20, 20, 20)); im.paste((250, 20, 20), (0, 0, 20, 30)) # red at one end, stored 60 wide
    ex = Image.Exif(); ex[0x0112] = 6 # the tag a phone writes: turn 90 degrees to view
    f = tmp_path / 'phone.jpg'; im.save(f, exif=ex)
    up = ImageOps.exif_transpose(Image.open(f))
    assert PILImage.create(f).size == (60, 30) # fastai's own: sideways
    assert upright_image(f).size == up.size == (30, 60) and type(upright_image(f)) is PILImage
    assert np.array_equal(np.array(upright_image(f.read_bytes())), np.array(up.convert('RGB')))
    want = load_square(up, 24)
    assert torch.equal(load_square(f, 24), want) and torch.equal(load_square(Image.open(f), 24), want) # a PIL image keeps its tag
    out = torch.zeros(1, 3, 24, 24, dtype=torch.uint8); _load_cuda([f], 24, out, 'cpu') # torchvision's decoder, as nvJPEG runs it
    assert (out[0].int() - want.int()).abs().max() <= 8
    f2 = tmp_path / 'phone2.jpg'; shutil.copy(f, f2)
    dls = image_dls([f, f2], ['a', 'b'], [1], size=24, bs=1, num_workers=0, device='cpu', aug=False)
    assert dls.train_ds[0][0].size == (30, 60) # the DataBlock's items are upright too
    assert dls.test_dl([PILImage.create(f)]).one_batch()[0].shape == (1, 3, 24, 24) # any PILImage is still an input
    assert dls.one_batch()[0].shape == (1, 3, 24, 24) # and without augmentation, batches come at `size`

def test_a_link_to_nothing_is_reported_not_skipped(tmp_path):
    for c in ('a', 'b'): jpg(tmp_path / c / '0.jpg'); jpg(tmp_path / c / '1.jpg')
    (tmp_path / 'a' / 'moved.jpg').symlink_to(tmp_path / 'gone.jpg')  # its target was moved or deleted
    s = scan_images(tmp_path)
    assert [f.name for f, _ in s.broken] == ['moved.jpg'] and len(s.images) == 4

def _split_folders(d, layout):
    for parts in layout:
        for i in range(3): jpg(d.joinpath(*parts) / f'{i}.jpg')

def test_a_datasets_own_split_is_kept_or_refused_never_pooled(tmp_path):
    "train/valid/test folders: labelling would pool them and split again (test images in training); refused, or kept with valid_name"
    d = tmp_path / 'data'
    _split_folders(d, [(s, c) for s in ('train', 'valid', 'test') for c in ('cat', 'dog')])
    with pytest.raises(ValueError, match="valid_name='test'|valid_name='valid'"): label_images(scan_images(d), 'parent')
    with pytest.warns(UserWarning, match='6 images under other split folders \\(test\\) are left out'):
        dls = folder_dls(d, 'parent', valid_name='valid', size=24, bs=4, num_workers=0, device='cpu')
    assert sorted(Path(f).parent.parent.name for f in dls.valid_ds.items) == ['valid'] * 6
    assert {Path(f).parent.parent.name for f in dls.train_ds.items} == {'train'} and dls.vocab == ['cat', 'dog']
    with pytest.raises(ValueError, match="No images under a folder named 'val'"): folder_dls(d, 'parent', valid_name='val')
    e = tmp_path / 'inside'  # the split inside each class folder
    _split_folders(e, [(c, s) for c in ('cat', 'dog') for s in ('train', 'valid')])
    with pytest.raises(ValueError, match='the dataset.s own split'): label_images(scan_images(e))
    with pytest.raises(ValueError, match='would make classes|own split'): label_images(scan_images(e), 'parent')
    dls = folder_dls(e, valid_name='valid', size=24, bs=4, num_workers=0, device='cpu')
    assert len(dls.valid_ds) == 6 and dls.vocab == ['cat', 'dog']

def test_a_datasets_own_split_of_one_class_is_refused(tmp_path):
    "train/cat and valid/cat only: as with a random split, one class cannot train a classifier"
    d = tmp_path / 'data'
    _split_folders(d, [(s, 'cat') for s in ('train', 'valid')])
    with pytest.raises(ValueError, match=r"Only one class \('cat'\) among the training images.*at least two"):
        folder_dls(d, 'parent', valid_name='valid', size=24, bs=4, num_workers=0, device='cpu')
    _split_folders(d, [('valid', 'dog')]) # a second class only in validation: still one to train on
    with pytest.raises(ValueError, match='Only one class'): folder_dls(d, 'parent', valid_name='valid', size=24, bs=4, num_workers=0)

def test_label_rule_names_and_pets_names_are_checked(tmp_path):
    for c in ('a', 'b'): jpg(tmp_path / c / '0.jpg'); jpg(tmp_path / c / '1.jpg')
    with pytest.raises(ValueError, match="label must be 'folder', 'parent', 'pets' or a regex"): label_images(scan_images(tmp_path), 'folders')
    assert pets_label('beagle_7.JPG') == 'beagle' and is_dog('beagle_7.Jpeg') and not is_dog('Bengal_3.jpg')
    with pytest.raises(ValueError, match='label your own photos by folder'): is_dog('IMG_0001.JPG')  # not silently a cat

def test_twins_across_unicode_forms_and_underscores(tmp_path):
    with pytest.warns(UserWarning, match='Unicode form'): assert len(warn_twins(['caf\u00e9', 'cafe\u0301', 'tea'])) == 1
    with pytest.warns(UserWarning): assert warn_twins(['golden_retriever', 'Golden Retriever']) == [['golden_retriever', 'Golden Retriever']]

def test_twins_written_as_numbers_and_multi_label_values():
    with pytest.warns(UserWarning, match=r"one number written two ways are separate classes: '1.0', '1' \(and 1 more such groups\)"):
        assert warn_twins(['1.0', '1', '0', '0.0']) == [['1.0', '1'], ['0', '0.0']]
    with pytest.warns(UserWarning, match=r"look multi-label: 'a;b', 'b;a' hold several labels each, separated by ';'.*single-label"):
        assert warn_twins(['a;b', 'b;a', 'a', 'b']) == []
    with pytest.warns(UserWarning, match="multi-label: 'x|y', 'y|x'"): warn_twins(['x|y', 'y|x', 'z']) # the same parts, in another order
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        assert warn_twins(['1', '2', '10', 'nan', 'inf']) == [] and warn_twins(['rock, paper', 'scissors']) == [] # a comma inside one label

def test_a_link_to_a_class_folder_is_that_class_not_an_empty_one(tmp_path):
    for i in range(2): jpg(tmp_path / 'cat' / f'{i}.jpg'); jpg(tmp_path / 'dog' / f'{i}.jpg')
    (tmp_path / 'kitty').symlink_to(tmp_path / 'cat', target_is_directory=True)
    import warnings
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter('always'); _, labels = label_images(scan_images(tmp_path))
    assert Counter(labels) == {'cat': 2, 'dog': 2} and not [x for x in w if 'no usable image' in str(x.message)]

def test_in_memory_images_are_upright_rgb_or_refused_clearly(tmp_path):
    import torch
    from PIL import ImageOps
    im = Image.new('RGB', (60, 30), (20, 20, 20)); ex = Image.Exif(); ex[0x0112] = 6
    f = tmp_path / 'phone.jpg'; im.save(f, exif=ex)
    from fastai.vision.all import PILImage
    assert upright_image(PILImage.create(f)).size == upright_image(Image.open(f)).size == (30, 60) # as `predict(path)` sees it
    rgba = np.zeros((8, 10, 4), np.uint8); rgba[..., 0] = 200
    for o in (rgba, Image.fromarray(rgba), Image.new('CMYK', (10, 8)), torch.zeros(3, 8, 10, dtype=torch.uint8), np.zeros((8, 10), np.uint8)):
        u = upright_image(o); assert u.mode == 'RGB' and u.size == (10, 8)
    with pytest.raises(ValueError, match='uint8'): upright_image(np.random.rand(8, 10, 3))
    with pytest.raises(ValueError, match='got shape'): upright_image(np.zeros((8, 10, 5), np.uint8))
    raw = f.read_bytes()
    with pytest.raises(ValueError, match='These bytes cannot be read as an image'): upright_image(raw[:len(raw) // 3])
    (tmp_path / 'bad.jpg').write_text('not a photo')
    with pytest.raises(ValueError, match='bad.jpg cannot be read as an image.*scan_images'): upright_image(tmp_path / 'bad.jpg')

def test_files_labels_and_split_are_checked_for_both_pipelines(tmp_path):
    fs = [jpg(tmp_path / c / f'{i}.jpg') for c in ('a', 'b') for i in range(3)]
    ls = [f.parent.name for f in fs]
    with pytest.raises(ValueError, match='give one label per file'): image_dls(fs, ls[:-1], [0, 3])
    with pytest.raises(ValueError, match='outside 0..5'): image_dls(fs, ls, [0, 6])
    with pytest.raises(ValueError, match='repeats indices'): image_dls(fs, ls, [0, 0, 3])
    with pytest.warns(UserWarning, match='No validation images'): image_dls(fs, ls, [], size=24, bs=2, num_workers=0, device='cpu')

def test_copies_across_labels_or_the_split_are_named(tmp_path):
    "A copy (or a link) of a cat photo filed under dog, or one image on both sides of the split: a warning names them"
    for c in ('cat', 'dog'):
        for i in range(4): jpg(tmp_path / c / f'{i}.jpg', (40 * i, 100 if c == 'cat' else 200, 50))
    shutil.copy(tmp_path / 'cat' / '0.jpg', tmp_path / 'dog' / 'copy.jpg')
    with pytest.warns(UserWarning, match=r'1 image is there more than once under different labels.*cat/0.jpg and dog/copy.jpg'):
        folder_dls(tmp_path, size=24, bs=2, num_workers=0, device='cpu')
    (tmp_path / 'dog' / 'copy.jpg').unlink()
    shutil.copy(tmp_path / 'cat' / '1.jpg', tmp_path / 'cat' / 'again.jpg')
    s = scan_images(tmp_path); files, labels = label_images(s)
    i, j = files.index(tmp_path / 'cat' / '1.jpg'), files.index(tmp_path / 'cat' / 'again.jpg')
    with pytest.warns(UserWarning, match='in both the training and the validation set'): warn_copies(s, files, labels, [i])
    import warnings
    with warnings.catch_warnings(): warnings.simplefilter('error'); assert warn_copies(s, files, labels, [i, j]) == [[min(i, j), max(i, j)]]

def test_worker_processes_started_by_spawn_label_the_images(folder, tmp_path):
    "macOS and Windows start DataLoader workers afresh (spawn), with only what is pickled: they label as this process does"
    import subprocess, sys, textwrap
    script = tmp_path / 'spawned.py'
    script.write_text(textwrap.dedent(f'''
        import torch.multiprocessing as mp
        from transfer_course.data import folder_dls
        if __name__ == '__main__':
            mp.set_start_method('spawn', force=True)
            dls = folder_dls({str(folder)!r}, size=32, bs=4, num_workers=1, device='cpu')
            ys = [int(i) for _, y in dls.valid for i in y] # made by a worker process
            with dls.valid.fake_l.no_multiproc(): ref = [int(i) for _, y in dls.valid for i in y]
            print(len(ys), ys == ref, sorted(set(ys)))
        '''))
    r = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-3000:]
    n, same, *seen = r.stdout.split()[-4:]
    assert int(n) > 0 and same == 'True' and seen == ['[0,', '1]'], r.stdout[-500:] # both classes, as labelled here

def test_unreadable_formats_say_what_to_do(tmp_path):
    "iPhone HEIC photos (Pillow cannot read them) and other files with an image's name: the reason says what to do, without Python's object reprs"
    d = tmp_path / 'phone'
    (d / 'cats').mkdir(parents=True)
    for i in range(2): (d / 'cats' / f'IMG_{i}.HEIC').write_bytes(b'\x00\x00\x00\x18ftypheic' + bytes(64))
    with pytest.raises(ValueError) as e: scan_images(d)
    msg = str(e.value)
    assert msg.startswith(f'No usable images in {d}, only 2 image files that cannot be read (e.g. IMG_0.HEIC: HEIC, as iPhones')
    assert 'pillow-heif' in msg and 'not images' not in msg
    jpg(d / 'cats' / 'ok.jpg'); (d / 'cats' / 'page.jpg').write_text('<html>')
    s = scan_images(d)
    assert dict((f.name, why) for f, why in s.broken)['page.jpg'].startswith('not an image that Pillow can read') and ' at 0x' not in repr(s)

def test_a_macos_zips_resource_folder_is_no_class(folder):
    "Zips made on macOS hold `__MACOSX/` with '._name' resource files: it is left out silently, as hidden files are"
    (folder / '__MACOSX' / 'beagle').mkdir(parents=True)
    (folder / '__MACOSX' / 'beagle' / '._0.jpg').write_bytes(b'\x00\x05\x16\x07')
    import warnings
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter('always')
        files, labels = label_images(scan_images(folder), 'folder')
    assert '__MACOSX' not in ' '.join(map(str, w)) and set(labels) == {'beagle', 'pug'}

def test_a_cache_that_cannot_be_written_is_said_with_what_to_do(tmp_path, monkeypatch):
    "Drawing stand-in data into a read-only or full TRANSFER_COURSE_HOME: one message naming the variable, not a traceback"
    import errno
    from transfer_course import data
    from transfer_course.core import WriteError
    monkeypatch.setenv('TRANSFER_COURSE_HOME', str(tmp_path / 'home'))
    def ro(*a, **k): raise OSError(errno.EROFS, 'Read-only file system')
    monkeypatch.setattr(data, 'save_atomic', ro)
    for make in (data.faces_folder, data.digits_folder, lambda: data.pets_path(True)):
        with pytest.raises(WriteError, match='set TRANSFER_COURSE_HOME to a folder you can write to'): make()
    with pytest.raises(WriteError, match='choose another folder'): data.faces_folder(tmp_path / 'mine')

def test_a_validation_set_of_one_class_gets_no_impossible_target():
    "Always answering the one class scores 1.0: no target is above that, so say what is wrong instead"
    from transfer_course.data import below_chance
    msg = below_chance(0.9, ['cat']*5)
    assert 'holds one class only' in msg and 'target above' not in msg
    assert below_chance(0.9, ['cat']*3 + ['dog']) is None and 'Give a target above 0.750' in below_chance(0.7, ['cat']*3 + ['dog'])
