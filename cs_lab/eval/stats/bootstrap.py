"""Seeded, vectorised percentile bootstrap of a mean (and of a paired mean difference).

Two resampling units:

* queries (default): each replicate draws n queries with replacement and
  takes their mean (``bootstrap_means``);
* clusters (``clusters=`` one label per query, e.g. the customer id): each
  replicate draws G whole clusters with replacement and takes the ratio
  (sum of the drawn clusters' values) / (number of their queries), i.e. the
  mean over the resampled queries (``cluster_bootstrap_means``). Queries of one
  customer are correlated, so resampling them independently understates the
  variance; resampling customers does not.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
import pandas as pd

from cs_lab.errors import ConfigError, DataError

CHUNK_ELEMENTS = 1 << 22
"""Resampled values drawn per block (bounds memory at ~32 MB of indices)."""

Clusters = Sequence | np.ndarray | pd.Series | None
"""One cluster label per query (e.g. customer id); NaN / None labels are singleton clusters."""


class Interval(NamedTuple):
    """A point estimate with a two-sided confidence interval."""

    estimate: float
    low: float
    high: float


def _check_boot(n_boot: int) -> None:
    if n_boot < 1:
        raise ConfigError(f"n_boot must be >= 1, got {n_boot}")


def bootstrap_means(values: np.ndarray, n_boot: int = 2000, seed: int = 0) -> np.ndarray:
    """Means of ``n_boot`` resamples (with replacement, same size) of ``values``.

    Resampling indices are drawn in blocks of whole replicates from
    ``numpy.random.default_rng(seed)``, so the output depends only on
    (values, n_boot, seed). Cost is O(n * n_boot).
    """
    x = np.asarray(values, dtype=np.float64)
    if x.ndim != 1 or x.size == 0:
        raise DataError(f"bootstrap needs a non-empty 1-D sample, got shape {x.shape}")
    _check_boot(n_boot)
    rng = np.random.default_rng(seed)
    n = x.size
    per_block = max(1, CHUNK_ELEMENTS // n)
    out = np.empty(n_boot, dtype=np.float64)
    for start in range(0, n_boot, per_block):
        stop = min(n_boot, start + per_block)
        idx = rng.integers(0, n, size=(stop - start, n))
        out[start:stop] = x[idx].mean(axis=1)
    return out


def cluster_codes(clusters: Clusters, n: int) -> np.ndarray:
    """Int codes 0..G-1 (in order of first appearance), one per query; NaN/None labels get a code each."""
    if clusters is None:
        return np.arange(n, dtype=np.int64)
    labels = clusters.to_numpy() if isinstance(clusters, pd.Series) else np.asarray(clusters, dtype=object)
    if labels.ndim != 1 or labels.size != n:
        raise DataError(f"clusters has {labels.size} labels for {n} queries",
                        hint="give one cluster label (e.g. customer id) per query, in the queries' order")
    codes, uniques = pd.factorize(labels, use_na_sentinel=True)
    codes = codes.astype(np.int64)
    missing = codes < 0
    codes[missing] = len(uniques) + np.arange(int(missing.sum()))
    return codes


def cluster_sums(values: np.ndarray, codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-cluster (sum, count) of the non-NaN values, for the clusters that hold at least one."""
    x = np.asarray(values, dtype=np.float64)
    ok = ~np.isnan(x)
    sums = np.bincount(codes[ok], weights=x[ok])
    counts = np.bincount(codes[ok]).astype(np.float64)
    keep = counts > 0
    return sums[keep], counts[keep]


def resample_ratios(sums: np.ndarray, counts: np.ndarray, n_boot: int = 2000, seed: int = 0) -> np.ndarray:
    """Cluster-bootstrap replicates of sum/count for one or several statistics sharing the clusters.

    sums, counts : (G,) or (G, J) per-cluster sums and query counts (J
        statistics resampled with the *same* cluster draws, e.g. the paired
        differences of J model pairs).
    Each replicate draws G cluster indices uniformly with replacement
    (``rng.integers``, in blocks of whole replicates bounded by CHUNK_ELEMENTS),
    turns them into multiplicities w (one bincount per block) and returns
    (w @ sums) / (w @ counts): shape (n_boot,) or (n_boot, J). A replicate in
    which a statistic has no query is NaN.
    """
    _check_boot(n_boot)
    s = np.asarray(sums, dtype=np.float64)
    c = np.asarray(counts, dtype=np.float64)
    if s.shape != c.shape or s.ndim not in (1, 2) or s.shape[0] == 0:
        raise DataError(f"cluster sums {s.shape} and counts {c.shape} must share one non-empty "
                        "shape (G,) or (G, J)")
    flat = s.ndim == 1
    s2, c2 = (s[:, None], c[:, None]) if flat else (s, c)
    g = s2.shape[0]
    rng = np.random.default_rng(seed)
    per_block = max(1, CHUNK_ELEMENTS // g)
    out = np.empty((n_boot, s2.shape[1]), dtype=np.float64)
    for start in range(0, n_boot, per_block):
        stop = min(n_boot, start + per_block)
        b = stop - start
        idx = rng.integers(0, g, size=(b, g))
        idx += (np.arange(b, dtype=np.int64) * g)[:, None]
        w = np.bincount(idx.ravel(), minlength=b * g).reshape(b, g).astype(np.float64)
        with np.errstate(invalid="ignore", divide="ignore"):
            out[start:stop] = (w @ s2) / (w @ c2)
    return out[:, 0] if flat else out


def cluster_bootstrap_means(values: np.ndarray, clusters: Clusters, n_boot: int = 2000,
                            seed: int = 0) -> np.ndarray:
    """Means over the queries of ``n_boot`` resamples of whole clusters (NaN values dropped first)."""
    x = np.asarray(values, dtype=np.float64)
    if x.ndim != 1 or x.size == 0:
        raise DataError(f"bootstrap needs a non-empty 1-D sample, got shape {x.shape}")
    sums, counts = cluster_sums(x, cluster_codes(clusters, x.size))
    if sums.size == 0:
        raise DataError("bootstrap needs at least one non-NaN value")
    return resample_ratios(sums, counts, n_boot=n_boot, seed=seed)


def _percentile_interval(estimate: float, replicates: np.ndarray, ci: float) -> Interval:
    alpha = (1.0 - ci) / 2.0
    low, high = np.nanquantile(replicates, [alpha, 1.0 - alpha])
    return Interval(float(estimate), float(low), float(high))


def _check_level(ci: float) -> None:
    if not 0.0 < ci < 1.0:
        raise ConfigError(f"ci must be in (0, 1), got {ci}")


def bootstrap_ci(values: np.ndarray, n_boot: int = 2000, ci: float = 0.95, seed: int = 0,
                 clusters: Clusters = None) -> Interval:
    """Sample mean and percentile bootstrap interval; NaNs are dropped first.

    clusters : optional label per value (e.g. customer id). When given, whole
        clusters are resampled (``cluster_bootstrap_means``); NaN/None labels
        each form their own cluster. Default: values are resampled i.i.d.
    """
    _check_level(ci)
    x = np.asarray(values, dtype=np.float64)
    if clusters is None:
        x = x[~np.isnan(x)]
        if x.size == 0:
            return Interval(float("nan"), float("nan"), float("nan"))
        return _percentile_interval(x.mean(), bootstrap_means(x, n_boot=n_boot, seed=seed), ci)
    codes = cluster_codes(clusters, x.size)
    ok = ~np.isnan(x)
    if not ok.any():
        return Interval(float("nan"), float("nan"), float("nan"))
    sums, counts = cluster_sums(x, codes)
    replicates = resample_ratios(sums, counts, n_boot=n_boot, seed=seed)
    return _percentile_interval(x[ok].mean(), replicates, ci)


def paired_bootstrap_ci(a: np.ndarray, b: np.ndarray, n_boot: int = 2000, ci: float = 0.95,
                        seed: int = 0, clusters: Clusters = None) -> Interval:
    """Mean of a - b over queries with both values, with a paired percentile bootstrap interval.

    Queries are resampled as pairs (the same resampled query for both models);
    with ``clusters`` (one label per query) whole clusters of pairs are resampled.
    """
    x, y = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    d = paired_differences(x, y)
    if clusters is None:
        return bootstrap_ci(d, n_boot=n_boot, ci=ci, seed=seed)
    codes = cluster_codes(clusters, x.size)
    both = ~(np.isnan(x) | np.isnan(y))
    return bootstrap_ci(d, n_boot=n_boot, ci=ci, seed=seed, clusters=codes[both])


def paired_differences(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """a - b over positions where neither value is NaN."""
    x, y = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if x.shape != y.shape or x.ndim != 1:
        raise DataError(f"paired samples must be 1-D and aligned, got shapes {x.shape} and {y.shape}")
    both = ~(np.isnan(x) | np.isnan(y))
    return x[both] - y[both]
