"""Beyond-accuracy metrics on hand-worked examples."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from cs_lab.errors import ConfigError
from cs_lab.eval import Catalog, evaluate, truth_from_lists
from cs_lab.eval.metrics.beyond import popularity_percentile, self_information

# 4 items; popularity counts 8, 4, 2, 2 (total 16); categories A, A, B, unknown
CATALOG = Catalog(popularity=np.array([8, 4, 2, 2]), category=np.array([0, 0, 1, -1]))
RECS = np.array([
    [0, 1, 2],    # categories A, A, B
    [3, 2, -1],   # unknown, B (one known item only)
    [-1, -1, -1], # empty list
])
TRUTH = truth_from_lists([[0], [2], [1]], 4)


def run(metrics, ks=(1, 2, 3), catalog=CATALOG):
    return evaluate(RECS, TRUTH, metrics=metrics, ks=ks, catalog=catalog)


def test_coverage():
    res = run(["coverage"])
    # @1: {0, 3}; @2: {0, 1, 2, 3}
    assert res.summary["coverage"] == {1: 0.5, 2: 1.0, 3: 1.0}
    assert "coverage@1" not in res.per_query.columns  # global metric


def test_novelty():
    res = run(["novelty"])
    # self-information: -log2(8/16)=1, -log2(4/16)=2, -log2(2/16)=3, 3
    q = res.per_query
    assert q["novelty@1"].tolist()[:2] == [1.0, 3.0]
    assert q["novelty@2"].tolist()[:2] == [1.5, 3.0]
    assert q["novelty@3"].tolist()[:2] == [2.0, 3.0]  # list 2 has only two items
    assert np.isnan(q["novelty@3"].iloc[2])
    assert res.summary["novelty"][3] == pytest.approx(2.5)


def test_novelty_unseen_item_counts_as_seen_once_and_custom_total():
    info = self_information(np.array([0.0, 1.0, 3.0]), total=None)
    np.testing.assert_allclose(info, [2.0, 2.0, -np.log2(0.75)])
    np.testing.assert_allclose(self_information(np.array([5.0]), total=10), [1.0])


def test_popularity_bias_matches_scipy_percentile():
    pop = np.array([8, 4, 2, 2, 0, 4.0])
    expected = [stats.percentileofscore(pop, p, kind="mean") / 100 for p in pop]
    np.testing.assert_allclose(popularity_percentile(pop), expected)
    res = run(["popularity_bias"])
    # percentiles of [8, 4, 2, 2]: 7/8, 5/8, 2/8, 2/8
    assert res.per_query["popularity_bias@2"].tolist()[:2] == [0.75, 0.25]
    assert res.per_query["popularity_bias@3"].iloc[0] == pytest.approx((7 + 5 + 2) / 24)


def test_diversity():
    res = run(["diversity"])
    q = res.per_query
    assert q["diversity@1"].isna().all()            # one item: no pair
    assert q["diversity@2"].iloc[0] == 0.0          # A, A
    assert q["diversity@3"].iloc[0] == pytest.approx(2 / 3)  # AA same; AB, AB differ
    assert np.isnan(q["diversity@3"].iloc[1])       # unknown + B: no known pair
    assert res.summary["diversity"][3] == pytest.approx(2 / 3)


def test_diversity_prefix_counts_match_pairwise_definition(rng):
    cats = rng.integers(-1, 4, size=30)
    recs = np.array([rng.permutation(30)[:8] for _ in range(50)])
    res = evaluate(recs, truth_from_lists([[0]] * 50, 30), metrics=["diversity"], ks=(4, 8),
                   catalog=Catalog(category=cats))
    for k in (4, 8):
        for q in range(50):
            c = cats[recs[q, :k]]
            c = c[c >= 0]
            pairs = [(a, b) for i, a in enumerate(c) for b in c[i + 1:]]
            want = np.mean([a != b for a, b in pairs]) if pairs else np.nan
            np.testing.assert_allclose(res.per_query[f"diversity@{k}"].iloc[q], want)


def test_beyond_metrics_ignore_empty_truth():
    res = evaluate(RECS, truth_from_lists([[0], [], []], 4), metrics=["novelty"], ks=(1,),
                   catalog=CATALOG)
    assert res.per_query["novelty@1"].tolist()[:2] == [1.0, 3.0]


def test_missing_catalog_field_is_a_config_error():
    with pytest.raises(ConfigError, match="novelty"):
        run(["novelty"], catalog=Catalog(category=np.array([0, 0, 1, -1])))
    with pytest.raises(ConfigError):
        run(["diversity"], catalog=None)
