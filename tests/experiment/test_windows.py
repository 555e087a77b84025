"""Rolling-origin windows and the explore task's eval sets."""

import numpy as np
import pandas as pd
import pytest

from cs_lab.data import schema as S
from cs_lab.data.synthetic import generate
from cs_lab.experiment.spec import ExperimentSpec
from cs_lab.experiment.task import make_eval_set, prepare_windows, window_splits
from cs_lab.data.interactions import Interactions
from cs_lab.data.splits import basket_completion


def spec(**kw):
    base = {"name": "t", "dataset": "synthetic", "models": [{"name": "pop", "config": {"model": "popularity"}}],
            "split": {"test_fraction": 0.3, "windows": 3}, "task": {"max_queries": None}}
    base.update(kw)
    return ExperimentSpec.model_validate(base)


@pytest.fixture(scope="module")
def lines():
    return generate(n_customers=120, n_items=60, n_baskets=1500, seed=3).dataset.lines


def test_windows_are_consecutive_and_trained_on_the_past(lines):
    splits = window_splits(lines, spec())
    assert len(splits) == 3
    ends = []
    for i, s in enumerate(splits):
        assert s.train[S.TIMESTAMP].max() < s.test[S.TIMESTAMP].min()        # no future in training
        if i:
            # window i's training period is everything before its test window: it holds window i-1's test
            assert set(splits[i - 1].test[S.BASKET]) <= set(s.train[S.BASKET])
            assert not set(splits[i - 1].test[S.BASKET]) & set(s.test[S.BASKET])  # windows do not overlap
        ends.append(s.test[S.BASKET].nunique())
    # equal shares of baskets (to rounding and whole-timestamp ties), together the last 30%
    n = lines[S.BASKET].nunique()
    assert abs(sum(ends) - 0.3 * n) <= 3 and max(ends) - min(ends) <= 3
    assert set(splits[-1].test[S.BASKET]) | set(splits[-1].train[S.BASKET]) == set(lines[S.BASKET])


def test_one_window_is_the_plain_split(lines):
    (s,) = window_splits(lines, spec(split={"test_fraction": 0.2}))
    assert abs(s.test[S.BASKET].nunique() - 0.2 * lines[S.BASKET].nunique()) <= 2


def test_explore_eval_set_keeps_only_new_items(lines):
    splits = window_splits(lines, spec(split={"test_fraction": 0.2}))
    s = splits[0]
    train = Interactions.from_lines(s.train)
    h = basket_completion(s.test, mode="leave_one_out", seed=0)
    std = make_eval_set(h, train)
    exp = make_eval_set(h, train, explore=True)
    # brute force: a hidden item is a repeat when the query's customer bought it in training
    bought = {c: set(g) for c, g in s.train.groupby(S.CUSTOMER)[S.ITEM]}
    q = h.queries.set_index("query_id")[S.CUSTOMER]
    is_new = [it not in bought.get(q[qid], set()) for qid, it in zip(h.truth["query_id"], h.truth[S.ITEM])]
    assert len(exp) == len(set(h.truth.loc[is_new, "query_id"])) < len(std)
    assert exp.exclude is not None and std.exclude is None
    # the history excluded from candidates is exactly the customer's training items
    qi = {c: i for i, c in enumerate(train.customers.ids)}
    for r in range(len(exp)):
        cust = exp.holdout.queries[S.CUSTOMER].iloc[r]
        got = set(train.items.ids[exp.exclude[r].indices])
        assert got == (bought.get(cust, set()) if cust in qi else set())
    # no hidden item of the explore set is in the history
    assert exp.truth.multiply(exp.history).nnz == 0
    assert std.truth.multiply(std.history).nnz > 0


def test_max_queries_is_a_seeded_sample(lines):
    s = window_splits(lines, spec(split={"test_fraction": 0.2}))[0]
    train = Interactions.from_lines(s.train)
    h = basket_completion(s.test, mode="leave_one_out", seed=0)
    a = make_eval_set(h, train, max_queries=50, seed=1)
    b = make_eval_set(h, train, max_queries=50, seed=1)
    c = make_eval_set(h, train, max_queries=50, seed=2)
    assert len(a) == 50 and list(a.query_ids) == list(b.query_ids) and list(a.query_ids) != list(c.query_ids)
