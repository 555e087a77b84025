"""The bootstrap interval has the width its level promises: close to the analytic 2·z·SE on normal
data, and the same endpoints as scipy.stats.bootstrap(paired=True, method="percentile").

The coverage test in test_bootstrap.py accepts 0.90-0.985, which a 97.5% interval labelled 95%
passes; width pins the level to a few percent."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from cs_lab.eval.stats import bootstrap_ci, paired_bootstrap_ci


@pytest.mark.parametrize("ci", [0.90, 0.95, 0.99])
def test_width_is_close_to_the_analytic_normal_interval(ci):
    z = stats.norm.ppf(0.5 + ci / 2)
    ratios = []
    for seed in range(8):
        x = np.random.default_rng(seed).normal(3.0, 2.0, 400)
        se = x.std(ddof=0) / np.sqrt(x.size)          # the bootstrap's plug-in standard error
        iv = bootstrap_ci(x, n_boot=4000, ci=ci, seed=seed)
        ratios.append((iv.high - iv.low) / (2 * z * se))
        assert iv.low < iv.estimate < iv.high
    # a 97.5% interval labelled 95% is ~14% wider; Monte Carlo noise of the mean ratio is ~1%
    assert abs(np.mean(ratios) - 1.0) < 0.05, ratios


@pytest.mark.parametrize("ci", [0.90, 0.95])
def test_paired_interval_agrees_with_scipy_paired_percentile_bootstrap(ci):
    rng = np.random.default_rng(11)
    base = rng.exponential(1.0, 300)
    a = base + rng.normal(0.15, 0.6, 300)
    b = base + rng.normal(0.0, 0.3, 300)
    ours = paired_bootstrap_ci(a, b, n_boot=10_000, ci=ci, seed=2)
    ref = stats.bootstrap((a, b), lambda x, y, axis=-1: np.mean(x - y, axis=axis), paired=True,
                          vectorized=True, n_resamples=10_000, confidence_level=ci, method="percentile",
                          random_state=np.random.default_rng(5))
    se = np.std(a - b) / np.sqrt(a.size)
    assert ours.estimate == pytest.approx(np.mean(a - b))
    # Monte Carlo sd of an endpoint difference is ~0.04 SE; a wrong level moves it by >= 0.25 SE
    assert abs(ours.low - ref.confidence_interval.low) < 0.12 * se
    assert abs(ours.high - ref.confidence_interval.high) < 0.12 * se
    assert abs((ours.high - ours.low) / (ref.confidence_interval.high - ref.confidence_interval.low) - 1) < 0.05
