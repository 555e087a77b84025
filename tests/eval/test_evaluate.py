"""The evaluate() API: result shape, defaults, registry, determinism."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytest

from cs_lab.errors import ConfigError
from cs_lab.eval import (ACCURACY_METRICS, Catalog, EvalContext, Metric, available_metrics, evaluate,
                         get_metric, truth_from_lists)
from tests.eval.conftest import random_case


def test_hand_worked_accuracy_example():
    # truth {1, 3}; recs 1 (hit), 2, 3 (hit)
    res = evaluate(np.array([[1, 2, 3]]), truth_from_lists([[1, 3]], 5), ks=(1, 3),
                   metrics=list(ACCURACY_METRICS) + ["map_capped"])
    s = res.summary
    assert s["precision"] == {1: 1.0, 3: pytest.approx(2 / 3)}
    assert s["recall"] == {1: 0.5, 3: 1.0}
    assert s["hit_rate"] == {1: 1.0, 3: 1.0}
    assert s["mrr"] == {1: 1.0, 3: 1.0}
    idcg = 1 + 1 / np.log2(3)
    assert s["ndcg"][3] == pytest.approx((1 + 1 / np.log2(4)) / idcg)
    assert s["ndcg"][1] == 1.0                        # ideal DCG@1 has min(1, 2) = 1 hit
    assert s["map"][1] == 0.5                         # ranx: (1/1) / |truth|
    assert s["map_capped"][1] == 1.0                  # (1/1) / min(1, |truth|)
    assert s["map"][3] == pytest.approx((1 + 2 / 3) / 2)


def test_result_layout_and_default_metrics():
    recs, truth = random_case(7, n_queries=50)
    res = evaluate(recs, truth_from_lists(truth, 60), ks=(10, 5))
    assert res.ks == (5, 10)
    assert set(res.metrics) == {"precision", "recall", "hit_rate", "ndcg", "map", "mrr", "coverage"}
    assert res.per_query.shape == (50, 12)
    assert "ndcg@10" in res.per_query.columns and res.per_query.index.name == "query"
    frame = res.summary_frame()
    assert list(frame.columns) == ["@5", "@10"] and frame.loc["ndcg", "@10"] == res.summary["ndcg"][10]
    assert res.by_k(["ndcg"]) == {"5": {"ndcg": res.summary["ndcg"][5]},
                                  "10": {"ndcg": res.summary["ndcg"][10]}}


def test_default_metrics_follow_the_catalog():
    recs, truth = random_case(8, n_queries=20)
    cat = Catalog(popularity=np.arange(60), price=np.ones(60), cost=np.zeros(60),
                  category=np.arange(60) % 4)
    res = evaluate(recs, truth_from_lists(truth, 60), ks=(3,), catalog=cat)
    assert {"novelty", "popularity_bias", "diversity", "revenue", "margin", "addon_value"} <= set(res.metrics)
    assert "attach_rate" not in res.metrics and "map_capped" not in res.metrics


def test_deterministic_and_query_ids():
    recs, truth = random_case(9, n_queries=30)
    t = truth_from_lists(truth, 60)
    ids = [f"q{i}" for i in range(30)]
    a = evaluate(recs, t, query_ids=ids)
    b = evaluate(recs.copy(), t.copy(), query_ids=ids)
    assert a.per_query.equals(b.per_query) and a.summary == b.summary
    assert a.per_query.index[3] == "q3"


def test_wider_and_narrower_recs_than_k():
    recs = np.array([[1, 2, 3, 4]])
    t = truth_from_lists([[4]], 5)
    assert evaluate(recs, t, metrics=["hit_rate"], ks=(3,)).summary["hit_rate"][3] == 0.0
    res = evaluate(recs[:, :2], truth_from_lists([[2]], 5), metrics=["precision"], ks=(10,))
    assert res.summary["precision"][10] == 0.1  # short lists are penalised: hits / k


def test_unknown_metric_and_duplicates_are_config_errors():
    recs, truth = random_case(1, n_queries=5)
    t = truth_from_lists(truth, 60)
    with pytest.raises(ConfigError, match="unknown metric 'ndgc'"):
        evaluate(recs, t, metrics=["ndgc"])
    with pytest.raises(ConfigError, match="twice"):
        evaluate(recs, t, metrics=["ndcg", "ndcg"])
    with pytest.raises(ConfigError, match="empty_truth"):
        evaluate(recs, t, empty_truth="drop")


class ShareOfSlotsFilled(Metric):
    """A custom metric passed as an instance, without registering it."""

    name = "filled"
    needs_truth = False

    def compute(self, ctx: EvalContext, ks: Sequence[int]) -> dict[int, np.ndarray]:
        return {k: ctx.at(ctx.n_valid, k) / k for k in ks}


def test_custom_metric_instance_without_touching_the_registry():
    res = evaluate(np.array([[1, -1], [0, 2]]), truth_from_lists([[], [0]], 3),
                   metrics=[ShareOfSlotsFilled(), "hit_rate"], ks=(2,))
    assert res.per_query["filled@2"].tolist() == [0.5, 1.0]   # not truth-based: no NaN
    assert np.isnan(res.per_query["hit_rate@2"].iloc[0])
    assert "filled" not in available_metrics()


def test_registry_lookup():
    assert get_metric("ndcg").name == "ndcg"
    assert set(ACCURACY_METRICS) <= set(available_metrics())
