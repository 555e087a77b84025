"""Edges of cs_lab.simulate.stats that the mutation run found unpinned (docs/testing.md)."""

from __future__ import annotations

import numpy as np
import pytest

from cs_lab.simulate.stats import (bootstrap_pvalue, cuped_theta, poisson_bootstrap_means, variance_reduction,
                                   welch_test)
from cs_lab.simulate.stats.lift import lift_table


def test_bootstrap_pvalue_counts_ties_at_zero_on_both_sides():
    diffs = np.array([[0.0], [1.0], [2.0], [3.0], [4.0]])
    # P*(d <= 0) = (1 + 1) / 6, P*(d >= 0) = 1: p = 2 / 3
    assert bootstrap_pvalue(diffs)[0] == pytest.approx(2 / 3)
    assert bootstrap_pvalue(np.zeros((9, 1)))[0] == 1.0


def test_one_bootstrap_replicate_and_one_session_are_allowed():
    reps = poisson_bootstrap_means(np.arange(10.0)[:, None], 1, seed=0)
    assert reps.shape == (1, 1) and np.isfinite(reps).all()
    one = poisson_bootstrap_means(np.array([[2.0, 5.0]]), 50, seed=0)
    assert one.shape == (50, 2) and np.isin(one[~np.isnan(one[:, 0])], [2.0, 5.0]).all()


def test_constant_metric_has_no_variance_to_reduce():
    y = np.ones(20)
    assert variance_reduction(y, y) == 0.0
    assert cuped_theta(np.arange(20.0), np.full(20, 3.0)) == 0.0


def test_integer_and_label_groups_give_the_same_theta():
    rng = np.random.default_rng(1)
    x = rng.normal(size=200)
    y = 2 * x + rng.normal(size=200)
    g = rng.integers(0, 3, 200)
    labels = np.array(["a", "b", "c"])[g]
    assert cuped_theta(y, x, g) == pytest.approx(cuped_theta(y, x, labels), rel=1e-12)
    assert variance_reduction(y, y - x, g) == pytest.approx(variance_reduction(y, y - x, labels), rel=1e-12)


def test_welch_without_variance():
    same = welch_test(np.full(5, 2.0), np.full(7, 2.0))
    assert same.p_value == 1.0 and same.abs_low == same.abs_high == 0.0
    apart = welch_test(np.full(5, 3.0), np.full(7, 2.0))
    assert apart.p_value == 0.0 and apart.abs_lift == 1.0


def test_bootstrap_rows_have_relative_intervals_when_the_control_mean_is_not_zero():
    rng = np.random.default_rng(3)
    arm = np.repeat([0, 1], 300)
    revenue = rng.gamma(2.0, 5.0, 600) + 2.0 * arm
    out = lift_table({"revenue": revenue}, arm, ["control", "treated"], 0, n_bootstrap=200, seed=0)
    row = out[out["method"] == "bootstrap"].iloc[0]
    assert np.isfinite([row["rel_ci_low"], row["rel_ci_high"]]).all()
    assert row["rel_ci_low"] < row["rel_lift"] < row["rel_ci_high"]


def test_variance_reduction_does_not_depend_on_the_scale():
    rng = np.random.default_rng(2)
    x = rng.normal(size=50)
    y = x + rng.normal(scale=0.5, size=50)
    vr = variance_reduction(y, y - x)
    assert 0.5 < vr < 1.0
    assert variance_reduction(1e-3 * y, 1e-3 * (y - x)) == pytest.approx(vr, rel=1e-9)


def test_welch_needs_two_sessions_in_each_group():
    from cs_lab.errors import DataError
    from cs_lab.simulate.stats.analytic import welch_from_stats

    assert np.isfinite(welch_from_stats(1.0, 1.0, 2, 0.5, 1.0, 2).p_value)
    for n_a, n_c in [(1, 5), (5, 1), (1, 1)]:
        with pytest.raises(DataError, match=">= 2 sessions"):
            welch_from_stats(1.0, 1.0, n_a, 0.5, 1.0, n_c)


@pytest.mark.parametrize("shape", [(0,), (0, 2)])
def test_poisson_bootstrap_rejects_no_sessions(shape):
    from cs_lab.errors import DataError

    with pytest.raises(DataError, match="non-empty"):
        poisson_bootstrap_means(np.zeros(shape), 10)


@pytest.mark.parametrize("p1,mde,relative", [(0.5, 1.0, True), (0.4, 0.6, False), (0.5, -1.0, True),
                                             (0.3, 0.0, False)])
def test_mde_must_keep_the_rate_strictly_inside_0_1_and_move_it(p1, mde, relative):
    from cs_lab.errors import ConfigError
    from cs_lab.simulate.stats.power import sample_size_proportions

    with pytest.raises(ConfigError, match="must stay in"):
        sample_size_proportions(p1, mde, relative=relative)


def test_cuped_relative_lift_is_nan_only_for_a_zero_control_mean():
    rng = np.random.default_rng(4)
    arm = np.repeat([0, 1], 200)
    cov = rng.gamma(2.0, 5.0, 400)
    values = {"revenue": cov + rng.normal(0, 1, 400) + arm, "margin": np.where(arm == 1, cov * 0.1, 0.0)}
    out = lift_table(values, arm, ["control", "treated"], 0, covariate=cov)
    cuped = out[out["method"] == "cuped-welch"].set_index("metric")
    assert np.isfinite(cuped.loc["revenue", "rel_lift"])
    assert np.isnan(cuped.loc["margin", "rel_lift"])               # control margin is exactly 0
