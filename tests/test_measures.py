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
