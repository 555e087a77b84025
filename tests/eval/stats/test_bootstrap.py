"""Bootstrap intervals: determinism and coverage at the nominal rate."""

from __future__ import annotations

import numpy as np
import pytest

from cs_lab.eval.stats import bootstrap_ci, bootstrap_means, paired_bootstrap_ci


def paired_sample(seed: int, n: int, shift: float) -> tuple[np.ndarray, np.ndarray]:
    """Per-query values of two models; E[a - b] = shift; skewed, query-correlated noise."""
    rng = np.random.default_rng(seed)
    base = rng.exponential(1.0, n)
    a = base + rng.exponential(0.5, n) - 0.5 + shift
    b = base + rng.normal(0.0, 0.3, n)
    return a, b


def coverage(true_value: float, shift: float, reps: int = 200, n: int = 150) -> float:
    inside = 0
    for seed in range(reps):
        a, b = paired_sample(seed, n, shift)
        ci = paired_bootstrap_ci(a, b, n_boot=1000, ci=0.95, seed=seed)
        inside += ci.low <= true_value <= ci.high
    return inside / reps


def test_paired_ci_covers_the_true_shift_at_about_the_nominal_rate():
    rate = coverage(true_value=0.2, shift=0.2)
    assert 0.90 <= rate <= 0.985, rate


def test_paired_ci_rarely_covers_a_wrong_value():
    # 0.2 away from the truth is ~3.5 standard errors at n=150
    assert coverage(true_value=0.0, shift=0.2, reps=60) < 0.2


def test_deterministic_given_seed():
    a, b = paired_sample(0, 100, 0.1)
    assert paired_bootstrap_ci(a, b, seed=3) == paired_bootstrap_ci(a, b, seed=3)
    assert paired_bootstrap_ci(a, b, seed=3) != paired_bootstrap_ci(a, b, seed=4)
    np.testing.assert_array_equal(bootstrap_means(a, 50, seed=1), bootstrap_means(a, 50, seed=1))


def test_blocks_do_not_change_the_resampling(monkeypatch):
    import cs_lab.eval.stats.bootstrap as mod

    x = np.random.default_rng(0).normal(size=64)
    whole = mod.bootstrap_means(x, 40, seed=5)
    monkeypatch.setattr(mod, "CHUNK_ELEMENTS", 64 * 3)  # 3 replicates per block
    np.testing.assert_array_equal(mod.bootstrap_means(x, 40, seed=5), whole)


def test_point_estimate_and_nan_handling():
    ci = bootstrap_ci(np.array([1.0, 2.0, np.nan, 3.0]), n_boot=200)
    assert ci.estimate == 2.0 and 1.0 <= ci.low <= 2.0 <= ci.high <= 3.0
    a = np.array([1.0, np.nan, 3.0])
    b = np.array([0.0, 5.0, np.nan])
    assert paired_bootstrap_ci(a, b, n_boot=10).estimate == 1.0  # only the first pair counts
    assert np.isnan(bootstrap_ci(np.array([np.nan])).estimate)


@pytest.mark.parametrize("ci", [0.0, 1.0, 1.5])
def test_bad_level(ci):
    with pytest.raises(ValueError):
        bootstrap_ci(np.ones(3), ci=ci)
