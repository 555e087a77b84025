"""Paired tests agree with scipy; Holm matches a hand-computed example."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from cs_lab.eval.stats import compare_paired, holm, paired_t_pvalue, wilcoxon_pvalue


def test_holm_hand_computed():
    # sorted: 0.005*4=0.02, 0.01*3=0.03, 0.03*2=0.06, 0.04*1=0.04 -> running max 0.06
    got = holm(np.array([0.01, 0.04, 0.03, 0.005]))
    np.testing.assert_allclose(got, [0.03, 0.06, 0.06, 0.02])


def test_holm_caps_at_one_and_skips_nan():
    # m = 3: 0.01*3 = 0.03, 0.2*2 = 0.4, 0.5*1 = 0.5
    got = holm(np.array([0.5, np.nan, 0.2, 0.01]))
    np.testing.assert_allclose(got, [0.5, np.nan, 0.4, 0.03])
    np.testing.assert_allclose(holm(np.array([0.6, 0.7])), [1.0, 1.0])
    assert holm(np.array([])).size == 0


def test_t_and_wilcoxon_equal_scipy(rng):
    a = rng.normal(0.3, 1.0, 80)
    b = a + rng.normal(0.1, 0.5, 80)
    assert paired_t_pvalue(a, b) == stats.ttest_rel(a, b).pvalue
    assert wilcoxon_pvalue(a, b) == stats.wilcoxon(a - b).pvalue


def test_nan_pairs_are_dropped_and_identical_samples_give_one(rng):
    a = rng.normal(size=30)
    b = a + 0.2 + rng.normal(0, 0.1, 30)
    a_nan = a.copy()
    a_nan[:5] = np.nan
    assert paired_t_pvalue(a_nan, b) == stats.ttest_rel(a[5:], b[5:]).pvalue
    assert paired_t_pvalue(a, a) == 1.0 and wilcoxon_pvalue(a, a) == 1.0
    assert np.isnan(paired_t_pvalue(a[:1], b[:1]))


def test_compare_paired_fields(rng):
    a = rng.normal(1.0, 1.0, 200)
    b = a - 0.5 + rng.normal(0, 0.2, 200)
    res = compare_paired(a, b, n_boot=500, seed=0)
    assert res.n == 200
    assert res.diff == pytest.approx(res.mean_a - res.mean_b)
    assert res.ci_low < res.diff < res.ci_high and res.ci_low > 0.4
    assert res.p_t < 1e-10 and res.p_wilcoxon < 1e-10


def test_holm_equals_statsmodels():
    multipletests = pytest.importorskip("statsmodels.stats.multitest").multipletests
    rng = np.random.default_rng(7)
    for n in (1, 3, 10, 40):
        p = rng.uniform(0, 0.2, n)
        np.testing.assert_allclose(holm(p), multipletests(p, method="holm")[1], rtol=0, atol=1e-12)
