"""Association rules: metrics by hand, the two rule forms, and mlxtend on small random data."""

import math

import numpy as np
import pandas as pd
import pytest

from cs_lab.errors import ConfigError
from cs_lab.models.rules import METRICS, association_rules, fpgrowth, mine_rules
from tests.models.rules.conftest import random_baskets
from tests.models.rules.test_mining import tiny


def rule_index(rules, ante, cons):
    s = rules.itemsets
    a, c = s.index(ante), s.index(cons)
    hit = np.flatnonzero((rules.antecedent == a) & (rules.consequent == c))
    assert len(hit) == 1, (ante, cons)
    return int(hit[0])


def test_metrics_by_hand():
    # 6 baskets: bread 4, milk 4, butter 3; bread+milk 3, bread+butter 3, milk+butter 2, all three 2
    rules = association_rules(fpgrowth(tiny(), 2 / 6), 0.0, "all")
    r = rule_index(rules, [0], [1])                      # bread -> milk
    s_a, s_c, s_ac = 4 / 6, 4 / 6, 3 / 6
    conf = s_ac / s_a
    assert rules.support[r] == s_ac and rules.antecedent_support[r] == s_a
    assert rules.consequent_support[r] == s_c
    assert math.isclose(rules.confidence[r], conf, rel_tol=1e-15)
    assert math.isclose(rules.lift[r], conf / s_c, rel_tol=1e-15)
    assert math.isclose(rules.leverage[r], s_ac - s_a * s_c, rel_tol=1e-15)
    assert math.isclose(rules.conviction[r], (1 - s_c) / (1 - conf), rel_tol=1e-15)
    lev = s_ac - s_a * s_c
    assert math.isclose(rules.zhangs_metric[r], lev / max(s_ac * (1 - s_a), s_a * (s_c - s_ac)), rel_tol=1e-15)
    assert math.isclose(rules.jaccard[r], s_ac / (s_a + s_c - s_ac), rel_tol=1e-15)
    assert math.isclose(rules.certainty[r], (conf - s_c) / (1 - s_c), rel_tol=1e-15)
    assert math.isclose(rules.kulczynski[r], (conf + s_ac / s_c) / 2, rel_tol=1e-15)
    assert rules.count[r] == 3 and rules.antecedent_count[r] == 4 and rules.consequent_count[r] == 4


def test_conviction_is_inf_at_confidence_one():
    rules = association_rules(fpgrowth(tiny(), 2 / 6), 0.0, "all")
    r = rule_index(rules, [2], [0])                      # butter -> bread: 3 / 3
    assert rules.confidence[r] == 1.0 and rules.conviction[r] == np.inf
    assert np.isfinite(rules.conviction[rules.confidence < 1]).all()


def test_multi_item_consequent():
    rules = association_rules(fpgrowth(tiny(), 2 / 6), 0.0, "all")
    r = rule_index(rules, [2], [0, 1])                   # butter -> {bread, milk}: 2 / 3
    assert math.isclose(rules.confidence[r], 2 / 3)
    assert rules.consequent_support[r] == 3 / 6


def test_rule_forms():
    sets = fpgrowth(random_baskets(200, 12, 0.3, 3), 0.02)
    every = association_rules(sets, 0.2, "all")
    single = association_rules(sets, 0.2, "single")
    sizes = sets.sizes
    pairs = set(zip(every.antecedent.tolist(), every.consequent.tolist()))
    one = sizes[every.consequent] == 1
    assert set(zip(single.antecedent.tolist(), single.consequent.tolist())) == \
        set(zip(every.antecedent[one].tolist(), every.consequent[one].tolist()))
    assert len(single) < len(every) == len(pairs)
    # every non-empty proper split of every itemset, before the confidence threshold
    n_all = int(sum(2 ** k - 2 for k in sizes[sizes >= 2]))
    assert len(association_rules(sets, 0.0, "all")) == n_all
    assert len(association_rules(sets, 0.0, "single")) == int(sizes[sizes >= 2].sum())
    assert (every.confidence >= 0.2).all() and (single.confidence >= 0.2).all()


@pytest.mark.parametrize("seed,min_support,min_confidence", [(0, 0.05, 0.0), (1, 0.03, 0.3), (2, 0.1, 0.6)])
def test_same_as_mlxtend_on_random_data(seed, min_support, min_confidence):
    mlx = pytest.importorskip("mlxtend.frequent_patterns")
    x = random_baskets(150, 10, 0.3, seed)
    frame = pd.DataFrame(x.toarray() > 0)
    theirs = mlx.association_rules(mlx.fpgrowth(frame, min_support), len(frame), metric="confidence",
                                   min_threshold=min_confidence)
    ours = association_rules(fpgrowth(x, min_support), min_confidence, "all").to_frame()
    assert_same_rules(ours, theirs)


def assert_same_rules(ours: pd.DataFrame, theirs: pd.DataFrame) -> None:
    """Same (antecedent, consequent) pairs and every mlxtend metric equal to 1e-12 (relative
    for large values such as conviction; inf where mlxtend has inf)."""
    a, b = _by_rule(ours), _by_rule(theirs)
    assert len(a) == len(b) and a.index.equals(b.index)
    assert list(theirs.columns[2:]) == list(METRICS)
    for m in METRICS:
        np.testing.assert_allclose(a[m].to_numpy(float), b[m].to_numpy(float), rtol=1e-12, atol=1e-12,
                                   err_msg=m)


def _by_rule(df: pd.DataFrame) -> pd.DataFrame:
    key = pd.MultiIndex.from_arrays([[tuple(sorted(s)) for s in df[c]] for c in ("antecedents", "consequents")])
    return df.set_index(key).sort_index()


def test_top_and_frame():
    rules = association_rules(fpgrowth(random_baskets(200, 12, 0.3, 3), 0.02), 0.1)
    top = rules.top(5, by="lift")
    assert (np.diff(rules.lift[top]) <= 0).all() and rules.lift[top[0]] == rules.lift.max()
    df = rules.to_frame(counts=True)
    assert list(df.columns) == ["antecedents", "consequents", *METRICS,
                                "antecedent count", "consequent count", "count"]
    assert len(df) == len(rules)


def test_empty_rules():
    rules = association_rules(fpgrowth(tiny(), 2 / 6, max_len=1), 0.0, "all")
    assert len(rules) == 0 and rules.to_frame().empty
    assert len(association_rules(fpgrowth(tiny(), 5 / 6), 0.5)) == 0


def test_mine_rules_one_call():
    a = mine_rules(tiny(), 2 / 6, 0.5, consequents="all", algorithm="apriori")
    b = association_rules(fpgrowth(tiny(), 2 / 6), 0.5, "all")
    np.testing.assert_array_equal(a.antecedent, b.antecedent)
    np.testing.assert_array_equal(a.consequent, b.consequent)


@pytest.mark.parametrize("kwargs,match", [
    ({"min_confidence": 1.5}, "min_confidence"), ({"min_confidence": -0.1}, "min_confidence"),
    ({"consequents": "many"}, "consequents"),
])
def test_bad_rule_arguments(kwargs, match):
    with pytest.raises(ConfigError, match=match):
        association_rules(fpgrowth(tiny(), 0.3), **kwargs)


def test_unknown_metric():
    with pytest.raises(ConfigError, match="unknown rule metric"):
        association_rules(fpgrowth(tiny(), 0.3)).metric("surprise")
