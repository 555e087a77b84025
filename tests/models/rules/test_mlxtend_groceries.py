"""Integration: on Groceries (9,835 baskets, 169 items) our itemsets and rules are those of mlxtend
0.25 (fpgrowth / apriori / association_rules): the same sets, every metric equal to 1e-12."""

import numpy as np
import pytest

from cs_lab.models.rules import apriori, association_rules, fpgrowth
from tests.models.rules.test_rules import assert_same_rules

pytestmark = pytest.mark.integration
mlx = pytest.importorskip("mlxtend.frequent_patterns")

THRESHOLDS = [(0.02, None), (0.01, None), (0.005, None), (0.005, 2), (0.003, 3)]


def _theirs(frame, min_support, max_len):
    return mlx.fpgrowth(frame, min_support=min_support, use_colnames=True, max_len=max_len)


@pytest.mark.parametrize("min_support,max_len", THRESHOLDS)
@pytest.mark.parametrize("miner", [fpgrowth, apriori])
def test_itemsets_identical(groceries, miner, min_support, max_len):
    train, frame = groceries
    ours = miner(train.basket_items, min_support, max_len).to_frame(labels=train.items.ids)
    theirs = _theirs(frame, min_support, max_len)
    mine = dict(zip(ours.itemsets, ours.support))
    ref = dict(zip(theirs.itemsets, theirs.support))
    assert mine.keys() == ref.keys() and len(mine) > 100
    keys = list(ref)
    np.testing.assert_allclose([mine[k] for k in keys], [ref[k] for k in keys], rtol=0, atol=1e-12)


def test_mlxtend_apriori_too(groceries):
    train, frame = groceries
    ours = apriori(train.basket_items, 0.01).to_frame(labels=train.items.ids)
    theirs = mlx.apriori(frame, min_support=0.01, use_colnames=True)
    assert dict(zip(ours.itemsets, ours.support)) == dict(zip(theirs.itemsets, theirs.support))


@pytest.mark.parametrize("min_support,max_len", [(0.02, None), (0.01, None), (0.005, None), (0.003, 3)])
@pytest.mark.parametrize("min_confidence", [0.0, 0.1, 0.25, 0.5])
def test_rules_identical(groceries, min_support, max_len, min_confidence):
    train, frame = groceries
    sets = fpgrowth(train.basket_items, min_support, max_len)
    theirs = mlx.association_rules(_theirs(frame, min_support, max_len), len(frame), metric="confidence",
                                   min_threshold=min_confidence)
    every = association_rules(sets, min_confidence, "all").to_frame(labels=train.items.ids)
    assert_same_rules(every, theirs)
    single = association_rules(sets, min_confidence, "single").to_frame(labels=train.items.ids)
    assert_same_rules(single, theirs[theirs.consequents.map(len) == 1].reset_index(drop=True))
