"""Edges of cs_lab.eval.stats that the mutation run found unpinned (docs/testing.md)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from cs_lab.errors import DataError
from cs_lab.eval.stats import (bootstrap_ci, compare_models, paired_bootstrap_ci, paired_t_pvalue, render_frame,
                               segment_breakdown)
from cs_lab.eval.stats.report import _pvalue


def test_paired_t_needs_two_pairs_and_two_are_enough():
    assert np.isnan(paired_t_pvalue(np.array([1.0]), np.array([0.0])))
    a, b = np.array([1.0, 3.0]), np.array([0.5, 1.0])
    assert paired_t_pvalue(a, b) == pytest.approx(stats.ttest_rel(a, b).pvalue)


def test_models_on_different_queries_of_the_same_count_are_rejected():
    a = pd.DataFrame({"ndcg@10": [0.1, 0.2, 0.3]}, index=["q1", "q2", "q3"])
    b = pd.DataFrame({"ndcg@10": [0.1, 0.2, 0.3]}, index=["q1", "q2", "q4"])
    with pytest.raises(DataError, match="different queries"):
        compare_models({"a": a, "b": b}, n_boot=50)
    # the same queries in another order are fine
    compare_models({"a": a, "b": a.iloc[::-1]}, n_boot=50)


def test_nan_renders_as_a_dash():
    frame = pd.DataFrame({"mean": [0.5, np.nan]}, index=pd.Index(["x", "y"], name="segment"))
    text = render_frame(frame, fmt="text", digits=2)
    assert text.splitlines()[2:] == ["x        0.50", "y        -"]
    assert _pvalue(float("nan")) == "-" and _pvalue(0.5) == "0.5000" and _pvalue(1e-5) == "<1e-4"
    assert _pvalue(1e-4) == "0.0001"                          # the boundary itself is printed


def test_default_resample_counts_are_2000():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=60), rng.normal(size=60)
    assert paired_bootstrap_ci(a, b) == paired_bootstrap_ci(a, b, n_boot=2000, ci=0.95, seed=0)
    assert bootstrap_ci(a) == bootstrap_ci(a, n_boot=2000, ci=0.95, seed=0)
    pq = pd.DataFrame({"m": a, "seg": np.repeat(["u", "v"], 30)})
    pd.testing.assert_frame_equal(segment_breakdown(pq, "seg"),
                                  segment_breakdown(pq, "seg", n_boot=2000, ci=0.95, seed=0))
    assert not segment_breakdown(pq, "seg").equals(segment_breakdown(pq, "seg", n_boot=2001))


def test_one_resample_is_allowed_and_zero_is_not():
    from cs_lab.errors import ConfigError
    from cs_lab.eval.stats import bootstrap_means

    assert bootstrap_means(np.arange(5.0), n_boot=1, seed=0).shape == (1,)
    with pytest.raises(ConfigError, match="n_boot"):
        bootstrap_means(np.arange(5.0), n_boot=0)


def test_render_frame_defaults_to_four_digits():
    frame = pd.DataFrame({"mean": [1 / 3]}, index=pd.Index(["x"], name="segment"))
    assert render_frame(frame).splitlines()[2] == "| x       | 0.3333 |"


def test_boolean_cells_render_as_yes_and_no():
    frame = pd.DataFrame({"significant": [True, False]}, index=pd.Index(["a", "b"], name="pair"))
    assert [line.split()[-1] for line in render_frame(frame, fmt="text").splitlines()[2:]] == ["yes", "no"]
