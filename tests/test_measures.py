"Lesson 3's measures pick the right size: the cheapest that every seed reaches, the smallest that matches."
import json
import pandas as pd
from transfer_course.experiment import cost_table, labels_needed

def test_cost_table_picks_the_cheapest_size_every_seed_reached():
    "Size 2 (1 minute) and 8 (4 minutes) reach 0.9 with both seeds; size 1 (half a minute) with one seed only"
    rows = [dict(start=s, n=n, seed=k, accuracy=a, seconds=t, curve=json.dumps([[t, a]])) for s in ('pretrained', 'scratch')
            for n, t, accs in [(2, 60., (0.95, 0.95)), (8, 240., (0.95, 0.95)), (1, 30., (0.95, 0.5))] for k, a in enumerate(accs)]
    ct = cost_table(pd.DataFrame(rows), 0.9).set_index('start')
    assert ct.loc['pretrained', 'n'] == 2 and ct.loc['pretrained', 'minutes'] == 1.0, ct

def test_labels_needed_is_the_smallest_size_that_matches():
    df = pd.DataFrame(dict(start=['pretrained'] + ['scratch'] * 3, n=[2, 4, 8, 16], accuracy=[0.8, 0.85, 0.9, 0.95], seed=0))
    assert labels_needed(df).scratch_needs.tolist() == [4]  # 4, 8 and 16 all match 0.8: the smallest, not any

def test_report_lists_the_lessons_starts_first(tmp_path):
    "A pivot sorts the starts by name ('pixels' first): the report's table keeps pretrained, scratch, then the others"
    from transfer_course.experiment import report
    rows = [dict(task='t', device='cpu', start=s, n=n, seed=k, accuracy=a, seconds=t, curve=json.dumps([[t, a]]), lr=None, body_move=None)
            for s,a,t in [('pretrained', .9, 2.), ('scratch', .7, 9.), ('pixels', .8, .01)] for n in (2, 5) for k in (0, 1)]
    md = report(pd.DataFrame(rows), tmp_path, target=0.85)
    head = next(l for l in md.splitlines() if 'accuracy' in l and l.startswith('|'))
    cols = [c.strip() for c in head.strip('|').split('|')]
    assert cols[1:4] == ['pretrained accuracy', 'scratch accuracy', 'pixels accuracy'], cols

def test_text_validating_every_epoch_still_validates_a_few_times_per_fit():
    "Full mode validates during a fit (`valid_last=False`): scratch's many epochs must not be mostly validation"
    from transfer_course.experiment import TextTask, FewValids
    from transfer_course.text import ValidLast
    from transfer_course.models import minilm_dir
    df = pd.DataFrame(dict(text=[f"text {i} {'good' if i%2 else 'bad'}" for i in range(40)], label=['a','b']*20, is_valid=[i>=30 for i in range(40)]))
    t = TextTask(df, minilm_dir(), n_valid=None, valid_last=False, valids=4)
    cbs = t.learner(8, 0, False).cbs
    assert [c.times for c in cbs if isinstance(c, FewValids)] == [4] and t.cfg()['valids'] == 4
    assert any(isinstance(c, ValidLast) for c in TextTask(df, minilm_dir(), n_valid=None).learner(8, 0, False).cbs)

def test_a_report_without_pretrained_runs_has_no_empty_labels_table(tmp_path):
    from transfer_course.experiment import report
    rows = [dict(task='t', device='cpu', start='pixels', n=n, seed=0, accuracy=.8, seconds=.01, curve=json.dumps([[.01, .8]]), lr=None, body_move=None) for n in (2, 5)]
    md = report(pd.DataFrame(rows), tmp_path, target=0.85)
    assert 'Labels needed' not in md and '|  |' not in md and 'pixels accuracy' in md
