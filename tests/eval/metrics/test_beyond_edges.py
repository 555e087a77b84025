"""Beyond-accuracy metrics: edges the mutation run found unpinned (docs/testing.md)."""

from __future__ import annotations

import numpy as np
import pytest

from cs_lab.eval import Catalog, evaluate, truth_from_lists


def test_novelty_uses_the_catalog_popularity_total():
    pop = np.array([8.0, 4.0, 2.0, 2.0])
    recs = np.array([[0, 1]])
    truth = truth_from_lists([[0]], 4)
    default = evaluate(recs, truth, ["novelty"], ks=2, catalog=Catalog(popularity=pop))
    assert default.summary["novelty"][2] == pytest.approx(np.mean([-np.log2(8 / 16), -np.log2(4 / 16)]))
    given = evaluate(recs, truth, ["novelty"], ks=2, catalog=Catalog(popularity=pop, popularity_total=64.0))
    assert given.summary["novelty"][2] == pytest.approx(np.mean([-np.log2(8 / 64), -np.log2(4 / 64)]))


@pytest.mark.parametrize("metric", ["novelty", "popularity_bias", "diversity"])
def test_list_only_metrics_score_queries_without_truth(metric):
    cat = Catalog(popularity=np.array([8.0, 4.0, 2.0, 1.0]), category=np.array([0, 0, 1, 1]))
    recs = np.array([[0, 2], [1, 3]])
    truth = truth_from_lists([[0], []], 4)                  # the second query has no hidden item
    res = evaluate(recs, truth, [metric], ks=2, catalog=cat, empty_truth="exclude")
    assert np.isfinite(res.per_query[f"{metric}@2"]).all() and res.n_empty_truth == 1

