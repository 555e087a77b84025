import math

import numpy as np
import pytest
from scipy import stats

from cs_lab.simulate import SimulationConfig, simulate
from cs_lab.simulate.stats import (bootstrap_pvalue, cuped_adjust, cuped_theta, poisson_bootstrap_means,
                                   two_proportion_ztest, variance_reduction, welch_test)
from cs_lab.simulate.stats.bootstrap import WEIGHT_TABLE
from cs_lab.simulate.synthetic import synthetic_policy


# -- analytic tests ---------------------------------------------------------------------------------

def test_ztest_hand_worked_and_statsmodels_reference():
    est = two_proportion_ztest(130, 1000, 100, 1000)
    pooled = 230 / 2000
    z = 0.03 / math.sqrt(pooled * (1 - pooled) * (2 / 1000))
    assert z == pytest.approx(2.102740605622114)        # statsmodels proportions_ztest([130, 100], [1000, 1000])
    assert est.p_value == pytest.approx(0.03548845046647471, rel=1e-9)
    se = math.sqrt(0.13 * 0.87 / 1000 + 0.1 * 0.9 / 1000)
    assert (est.abs_low, est.abs_high) == pytest.approx((0.03 - 1.959963984540054 * se, 0.03 + 1.959963984540054 * se))
    assert est.rel_lift == pytest.approx(0.3)
    # delta method for the ratio 0.13 / 0.10
    se_r = math.sqrt(0.13 * 0.87 / 1000 / 0.1**2 + 0.13**2 * 0.1 * 0.9 / 1000 / 0.1**4)
    assert est.rel_high - est.rel_lift == pytest.approx(1.959963984540054 * se_r)


def test_ztest_matches_statsmodels_when_installed():
    sm = pytest.importorskip("statsmodels.stats.proportion")
    z, p = sm.proportions_ztest([412, 380], [5000, 5100])
    assert two_proportion_ztest(412, 5000, 380, 5100).p_value == pytest.approx(p, rel=1e-9)


def test_welch_matches_scipy():
    rng = np.random.default_rng(0)
    a, c = rng.exponential(2.0, 700), rng.exponential(1.7, 1100)
    est = welch_test(a, c, alpha=0.1)
    ref = stats.ttest_ind(a, c, equal_var=False)
    assert est.p_value == pytest.approx(ref.pvalue, rel=1e-10)
    lo, hi = ref.confidence_interval(0.9)
    assert (est.abs_low, est.abs_high) == pytest.approx((lo, hi), rel=1e-10)
    assert est.abs_lift == pytest.approx(a.mean() - c.mean())


# -- bootstrap ---------------------------------------------------------------------------------------

def test_weight_table_has_poisson_mean_and_variance():
    assert WEIGHT_TABLE.mean() == 1.0 and WEIGHT_TABLE.var() == 1.0
    pois = stats.poisson.pmf(np.arange(6), 1.0)
    np.testing.assert_allclose(np.bincount(WEIGHT_TABLE.astype(int)) / 256, pois, atol=1.1 / 256)


def test_bootstrap_is_deterministic_thread_independent_and_has_the_right_spread():
    rng = np.random.default_rng(1)
    y = np.column_stack([rng.exponential(3.0, 5000), rng.random(5000) < 0.1])
    a = poisson_bootstrap_means(y, 2000, seed=5, n_jobs=1)
    b = poisson_bootstrap_means(y, 2000, seed=5, n_jobs=2)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, poisson_bootstrap_means(y, 2000, seed=6))
    se = y.std(axis=0, ddof=1) / np.sqrt(len(y))
    np.testing.assert_allclose(a.std(axis=0), se, rtol=0.08)
    assert np.all(np.abs(a.mean(axis=0) - y.mean(axis=0)) < 4 * se / np.sqrt(2000))


def test_bootstrap_pvalue():
    d = np.array([[-1.0], [1.0], [2.0], [3.0]])
    # P(d <= 0) = (1 + 1) / 5, P(d >= 0) = (3 + 1) / 5 -> p = 2 * 0.4
    assert bootstrap_pvalue(d)[0] == pytest.approx(0.8)


# -- CUPED -------------------------------------------------------------------------------------------

def test_cuped_theta_and_variance_reduction_on_correlated_data():
    rng = np.random.default_rng(2)
    n, rho = 50_000, 0.8
    x = rng.normal(10, 2, n)
    y = 3 + rho * (x - 10) / 2 + math.sqrt(1 - rho**2) * rng.normal(size=n)
    assert cuped_theta(y, x) == pytest.approx(np.cov(y, x)[0, 1] / np.var(x, ddof=1), rel=1e-9)
    adj, theta = cuped_adjust(y, x)
    assert theta == pytest.approx(rho / 2, rel=0.02)
    assert adj.mean() == pytest.approx(y.mean())              # same expectation
    assert variance_reduction(y, adj) == pytest.approx(rho**2, abs=0.01)


def test_cuped_theta_is_pooled_within_groups():
    """A treatment effect that also moves X between groups must not leak into theta."""
    rng = np.random.default_rng(3)
    g = np.repeat([0, 1], 5000)
    x = rng.normal(size=10_000) + 5 * g
    y = 2 * x + rng.normal(size=10_000) + 100 * g
    assert cuped_theta(y, x, g) == pytest.approx(2.0, abs=0.05)
    assert cuped_theta(y, x) > 5  # pooled over groups it would be badly off


def test_cuped_reduces_variance_in_the_simulation(syn):
    arms = {"control": None, "B": synthetic_policy(syn, 0.6, seed=2)}
    res = simulate(syn.sessions, syn.truth, arms,
                   SimulationConfig(assignment="session", cuped=True, covariate="cart_value", n_bootstrap=300))
    ov = res.lift[res.lift["metric"] == "order_value"].set_index("method")
    assert ov.loc["cuped-welch", "variance_reduction"] > 0.5
    width = ov["abs_ci_high"] - ov["abs_ci_low"]
    assert width["cuped-welch"] < 0.75 * width["welch"]
    assert width["cuped-bootstrap"] < 0.75 * width["bootstrap"]
    # the pre-period spend helps too, less
    res2 = simulate(syn.sessions, syn.truth, arms, SimulationConfig(assignment="session", cuped=True, n_bootstrap=0, ci_method="analytic"))
    ov2 = res2.lift[res2.lift["metric"] == "order_value"].set_index("method")
    assert 0.02 < ov2.loc["cuped-welch", "variance_reduction"] < 0.5


def test_comparison_weights_equal_the_table():
    from cs_lab.simulate.stats.bootstrap import _weights

    raw = np.arange(256, dtype=np.uint8)[None, :]
    w = _weights(raw, np.empty_like(raw), np.empty(raw.shape, bool))
    np.testing.assert_array_equal(w[0], WEIGHT_TABLE)
