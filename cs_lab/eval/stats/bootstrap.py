"""Seeded, vectorised percentile bootstrap of a mean (and of a paired mean difference)."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from cs_lab.errors import ConfigError, DataError

CHUNK_ELEMENTS = 1 << 22
"""Resampled values drawn per block (bounds memory at ~32 MB of indices)."""


class Interval(NamedTuple):
    """A point estimate with a two-sided confidence interval."""

    estimate: float
    low: float
    high: float


def bootstrap_means(values: np.ndarray, n_boot: int = 2000, seed: int = 0) -> np.ndarray:
    """Means of ``n_boot`` resamples (with replacement, same size) of ``values``.

    Resampling indices are drawn in blocks of whole replicates from
    ``numpy.random.default_rng(seed)``, so the output depends only on
    (values, n_boot, seed). Cost is O(n * n_boot).
    """
    x = np.asarray(values, dtype=np.float64)
    if x.ndim != 1 or x.size == 0:
        raise DataError(f"bootstrap needs a non-empty 1-D sample, got shape {x.shape}")
    if n_boot < 1:
        raise ConfigError(f"n_boot must be >= 1, got {n_boot}")
    rng = np.random.default_rng(seed)
    n = x.size
    per_block = max(1, CHUNK_ELEMENTS // n)
    out = np.empty(n_boot, dtype=np.float64)
    for start in range(0, n_boot, per_block):
        stop = min(n_boot, start + per_block)
        idx = rng.integers(0, n, size=(stop - start, n))
        out[start:stop] = x[idx].mean(axis=1)
    return out


def bootstrap_ci(values: np.ndarray, n_boot: int = 2000, ci: float = 0.95, seed: int = 0) -> Interval:
    """Sample mean and percentile bootstrap interval; NaNs are dropped first."""
    if not 0.0 < ci < 1.0:
        raise ConfigError(f"ci must be in (0, 1), got {ci}")
    x = np.asarray(values, dtype=np.float64)
    x = x[~np.isnan(x)]
    if x.size == 0:
        return Interval(float("nan"), float("nan"), float("nan"))
    means = bootstrap_means(x, n_boot=n_boot, seed=seed)
    alpha = (1.0 - ci) / 2.0
    low, high = np.quantile(means, [alpha, 1.0 - alpha])
    return Interval(float(x.mean()), float(low), float(high))


def paired_bootstrap_ci(a: np.ndarray, b: np.ndarray, n_boot: int = 2000, ci: float = 0.95,
                        seed: int = 0) -> Interval:
    """Mean of a - b over queries with both values, with a paired percentile bootstrap interval.

    Queries are resampled as pairs (the same resampled query for both models).
    """
    d = paired_differences(a, b)
    return bootstrap_ci(d, n_boot=n_boot, ci=ci, seed=seed)


def paired_differences(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """a - b over positions where neither value is NaN."""
    x, y = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if x.shape != y.shape or x.ndim != 1:
        raise DataError(f"paired samples must be 1-D and aligned, got shapes {x.shape} and {y.shape}")
    both = ~(np.isnan(x) | np.isnan(y))
    return x[both] - y[both]
