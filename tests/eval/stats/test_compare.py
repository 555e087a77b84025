"""compare_models: tidy comparison table across models and metrics."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cs_lab.errors import ConfigError, DataError
from cs_lab.eval.stats import COMPARISON_COLUMNS, compare_models, holm, model_pairs, render_comparison


@pytest.fixture
def per_query():
    rng = np.random.default_rng(0)
    n = 300
    base = rng.random(n)
    idx = pd.Index([f"q{i}" for i in range(n)], name="query")
    frames = {}
    for name, shift in (("pop", 0.0), ("als", 0.05), ("rules", 0.0)):
        frames[name] = pd.DataFrame({"ndcg@10": np.clip(base + shift + rng.normal(0, 0.05, n), 0, 1),
                                     "recall@10": base + rng.normal(0, 0.05, n)}, index=idx)
    frames["rules"] = frames["rules"].iloc[::-1]  # order of queries must not matter
    return frames


def test_pairs():
    assert model_pairs(["a", "b", "c"], "a", pairwise=False) == [("b", "a"), ("c", "a")]
    assert model_pairs(["a", "b", "c"], "a", pairwise=True) == [("b", "a"), ("c", "a"), ("b", "c")]
    assert model_pairs(["a", "b"], None, pairwise=True) == [("a", "b")]
    with pytest.raises(ConfigError):
        model_pairs(["a"], "z", pairwise=True)


def test_table(per_query):
    table = compare_models(per_query, baseline="pop", n_boot=300, seed=1)
    assert tuple(table.columns) == COMPARISON_COLUMNS
    assert len(table) == 3 * 2
    np.testing.assert_allclose(table["p_holm"], holm(table["p_t"].to_numpy()))
    als = table[(table.model_a == "als") & (table.metric == "ndcg@10")].iloc[0]
    assert als.model_b == "pop" and als.significant and 0.03 < als["diff"] < 0.07
    assert als.ci_low < als["diff"] < als.ci_high
    rules = table[(table.model_a == "rules") & (table.metric == "recall@10")].iloc[0]
    assert not rules.significant and rules.n == 300
    again = compare_models(per_query, baseline="pop", n_boot=300, seed=1)
    pd.testing.assert_frame_equal(table, again)


def test_rendering(per_query):
    table = compare_models(per_query, baseline="pop", pairwise=False, metrics=["ndcg@10"], n_boot=100)
    md = render_comparison(table)
    lines = md.splitlines()
    assert lines[0].startswith("| model A") and set(lines[1]) <= {"|", "-"} and len(lines) == 4
    assert "[" in lines[2] and "ndcg@10" in lines[2]
    text = render_comparison(table, fmt="text")
    assert "|" not in text and "p (Holm)" in text


def test_mismatched_queries_are_rejected(per_query):
    per_query["pop"] = per_query["pop"].iloc[1:]
    with pytest.raises(DataError, match="different queries"):
        compare_models(per_query, baseline="als")
