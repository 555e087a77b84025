"""Per-segment breakdowns."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cs_lab.errors import DataError
from cs_lab.eval.stats import render_frame, segment_breakdown


@pytest.fixture
def frames():
    rng = np.random.default_rng(0)
    n = 120
    per_query = pd.DataFrame({"ndcg@10": rng.random(n), "hit_rate@10": (rng.random(n) < 0.3) * 1.0})
    per_query.loc[:4, "ndcg@10"] = np.nan
    segments = pd.DataFrame({"customer": np.where(np.arange(n) % 3 == 0, "new", "returning"),
                             "cart_size": pd.cut(rng.integers(1, 9, n), [0, 2, 4, 100],
                                                 labels=["1-2", "3-4", "5+"])})
    return per_query, segments


def test_means_counts_and_intervals(frames):
    per_query, segments = frames
    out = segment_breakdown(per_query, "customer", segments=segments, n_boot=300)
    assert list(out.columns) == ["customer", "metric", "n", "mean", "ci_low", "ci_high"]
    expected = per_query.join(segments).groupby("customer")["ndcg@10"].agg(["mean", "count"])
    got = out[out.metric == "ndcg@10"].set_index("customer")
    np.testing.assert_allclose(got["mean"], expected["mean"])
    assert got["n"].tolist() == expected["count"].tolist()
    assert ((out.ci_low <= out["mean"]) & (out["mean"] <= out.ci_high)).all()


def test_two_segment_columns_in_the_frame(frames):
    per_query, segments = frames
    out = segment_breakdown(per_query.join(segments), ["customer", "cart_size"], metrics=["hit_rate@10"],
                            n_boot=100)
    assert len(out) == 6 and out["n"].sum() == len(per_query)
    text = render_frame(out.set_index("customer"), fmt="text", digits=3)
    assert "returning" in text and "hit_rate@10" in text


def test_missing_segment_column(frames):
    with pytest.raises(DataError, match="segment column"):
        segment_breakdown(frames[0], "nope")


def test_cluster_intervals_per_segment(frames):
    per_query, segments = frames
    customer = pd.Series(np.arange(len(per_query)) // 6, index=per_query.index)  # 6 queries per customer
    # strongly clustered metric: every query of a customer has the same value
    per_query = per_query.assign(clustered=np.random.default_rng(1).random(20)[customer.to_numpy()])
    plain = segment_breakdown(per_query, "customer", segments=segments, metrics=["clustered"], n_boot=1000)
    cl = segment_breakdown(per_query, "customer", segments=segments, metrics=["clustered"], n_boot=1000,
                           clusters=customer)
    assert cl["mean"].tolist() == plain["mean"].tolist() and cl["n"].tolist() == plain["n"].tolist()
    # 2 (new) and 4 (returning) identical queries per customer: width ratio ~ sqrt(2) and 2
    assert ((cl.ci_high - cl.ci_low) > 1.25 * (plain.ci_high - plain.ci_low)).all()
    singletons = pd.Series(np.arange(len(per_query)), index=per_query.index)
    same = segment_breakdown(per_query, "customer", segments=segments, metrics=["ndcg@10"], n_boot=300,
                             clusters=singletons)
    base = segment_breakdown(per_query, "customer", segments=segments, metrics=["ndcg@10"], n_boot=300)
    np.testing.assert_allclose(same[["ci_low", "ci_high"]], base[["ci_low", "ci_high"]], atol=1e-12)
    with pytest.raises(DataError, match="no label"):
        segment_breakdown(per_query, "customer", segments=segments, clusters=customer.iloc[1:])
