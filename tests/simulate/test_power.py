"""Power analysis against published and library references.

Reference numbers were computed with statsmodels 0.15.0 (NormalIndPower, TTestIndPower,
proportion_effectsize) in a separate environment; R's documented examples are noted where they
apply. When statsmodels is installed, test_matches_statsmodels_live recomputes them.
"""

import math

import numpy as np

import pytest
from scipy import stats

from cs_lab.errors import ConfigError
from cs_lab.simulate import (mde_means, mde_proportions, power_means, power_proportions, power_table,
                             sample_size_means, sample_size_proportions)

Z = stats.norm.ppf


def test_proportions_normal_hand_worked():
    """R: power.prop.test(p1 = .50, p2 = .75, power = .90) -> n = 76.7 (closed form below)."""
    p1, p2 = 0.5, 0.75
    pbar = (p1 + p2) / 2
    n = ((Z(0.975) * math.sqrt(2 * pbar * (1 - pbar)) + Z(0.9) * math.sqrt(p1 * (1 - p1) + p2 * (1 - p2)))
         / (p2 - p1)) ** 2
    assert n == pytest.approx(76.7069, abs=1e-3)
    assert sample_size_proportions(0.5, 0.25, relative=False, power=0.9) == pytest.approx(n, rel=1e-9)
    assert sample_size_proportions(0.5, 0.5, relative=True, power=0.9) == pytest.approx(n, rel=1e-9)
    assert power_proportions(0.5, 0.75, n) == pytest.approx(0.9, abs=1e-9)


@pytest.mark.parametrize("p1, p2, power, ratio, expected", [
    (0.5, 0.75, 0.9, 1.0, 76.65294037206691),
    (0.10, 0.11, 0.8, 1.0, 14744.104836925611),
    (0.05, 0.055, 0.8, 2.0, 23413.067572772798),
])
def test_proportions_arcsine_statsmodels_reference(p1, p2, power, ratio, expected):
    n = sample_size_proportions(p1, p2 - p1, relative=False, power=power, ratio=ratio, method="arcsine")
    assert n == pytest.approx(expected, rel=1e-8)


@pytest.mark.parametrize("effect, power, ratio, expected", [
    (1.0, 0.9, 1.0, 22.021088441446192),   # R: power.t.test(delta = 1, sd = 1, power = .90) -> n = 22.02110
    (0.2, 0.8, 1.0, 393.4056930002526),
    (0.1, 0.8, 0.5, 2355.9393222747844),
])
def test_means_t_statsmodels_reference(effect, power, ratio, expected):
    n = sample_size_means(2.0, 2.0 * effect, power=power, ratio=ratio, method="t")
    assert n == pytest.approx(expected, rel=1e-7)


def test_means_z_and_power_references():
    n = sample_size_means(1.0, 0.2)
    assert n == pytest.approx(2 * (Z(0.975) + Z(0.8)) ** 2 / 0.2**2, rel=1e-12)   # closed form
    # statsmodels' NormalIndPower also counts the far rejection tail, so it needs 0.001 fewer sessions
    assert n == pytest.approx(392.4430232577885, rel=1e-5)
    assert sample_size_means(5.0, 0.04, baseline_mean=25.0, relative=True) == pytest.approx(n)
    assert mde_means(1.0, 200, method="t") == pytest.approx(0.28083645028760074, rel=1e-7)
    assert power_means(0.3, 1.0, 100, method="t") == pytest.approx(0.5600592535808472, rel=1e-9)
    assert power_proportions(0.10, 0.12, 3000, method="arcsine") == pytest.approx(0.6977936186610995, rel=1e-9)


def test_mde_inverts_sample_size():
    n = sample_size_proportions(0.08, 0.05, power=0.8)
    assert mde_proportions(0.08, n, power=0.8) == pytest.approx(0.05, rel=1e-6)
    assert mde_proportions(0.08, n, relative=False) == pytest.approx(0.004, rel=1e-6)
    n = sample_size_means(12.0, 0.5, ratio=3.0)
    assert mde_means(12.0, n, ratio=3.0) == pytest.approx(0.5, rel=1e-9)
    assert mde_means(12.0, n, ratio=3.0, baseline_mean=10.0, relative=True) == pytest.approx(0.05, rel=1e-9)


def test_power_table_and_errors():
    t = power_table(0.05, [0.05, 0.10], powers=(0.8,))
    assert t["n_control"].is_monotonic_decreasing and (t["n_total"] == 2 * t["n_control"]).all()
    with pytest.raises(ConfigError, match="stay in"):
        sample_size_proportions(0.9, 0.2)
    with pytest.raises(ConfigError, match="baseline_mean"):
        sample_size_means(1.0, 0.1, relative=True)
    with pytest.raises(ConfigError, match="power"):
        sample_size_means(1.0, 0.1, power=1.0)


def test_matches_statsmodels_live():
    sp = pytest.importorskip("statsmodels.stats.power")
    from statsmodels.stats.proportion import proportion_effectsize

    es = proportion_effectsize(0.033, 0.03)
    ref = sp.NormalIndPower().solve_power(effect_size=es, alpha=0.05, power=0.8, ratio=1.5)
    assert sample_size_proportions(0.03, 0.1, power=0.8, ratio=1.5, method="arcsine") == pytest.approx(ref, rel=1e-6)
    ref = sp.TTestIndPower().solve_power(effect_size=0.15, alpha=0.01, power=0.9, ratio=1.0)
    assert sample_size_means(1.0, 0.15, alpha=0.01, power=0.9, method="t") == pytest.approx(ref, rel=1e-6)


def test_design_effect_from_a_known_icc():
    from cs_lab.simulate.stats.power import design_effect, icc_anova

    rng = np.random.default_rng(0)
    sizes = rng.integers(1, 8, 3000)                     # unbalanced clusters, mean 4
    g = np.repeat(np.arange(len(sizes)), sizes)
    y = rng.normal(0, np.sqrt(0.3), len(sizes))[g] + rng.normal(0, np.sqrt(0.7), len(g))
    assert icc_anova(y, g) == pytest.approx(0.3, abs=0.03)
    deff, m_bar, rho = design_effect(y, g)
    assert m_bar == pytest.approx(sizes.mean()) and deff == pytest.approx(1 + (m_bar - 1) * rho)
    # independent sessions: no design effect; singletons: none either
    assert icc_anova(rng.normal(size=len(g)), g) < 0.03
    assert design_effect(y, np.arange(len(y)))[0] == 1.0


def test_sample_size_scales_with_the_design_effect():
    from cs_lab.errors import ConfigError

    base = sample_size_proportions(0.08, 0.1)
    assert sample_size_proportions(0.08, 0.1, design_effect=1.7) == pytest.approx(1.7 * base)
    with pytest.raises(ConfigError, match="design_effect"):
        sample_size_proportions(0.08, 0.1, design_effect=0.5)
