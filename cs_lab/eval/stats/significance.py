"""Paired significance tests on per-query metric values."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

from cs_lab.eval.stats.bootstrap import paired_bootstrap_ci, paired_differences


def paired_t_pvalue(a: np.ndarray, b: np.ndarray) -> float:
    """Two-sided paired t-test p-value (``scipy.stats.ttest_rel``) over pairs without NaN.

    Identical samples (every difference 0) give p = 1 instead of scipy's NaN;
    fewer than two pairs give NaN.
    """
    d = paired_differences(a, b)
    if d.size < 2:
        return float("nan")
    if not d.any():
        return 1.0
    x, y = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    both = ~(np.isnan(x) | np.isnan(y))
    return float(stats.ttest_rel(x[both], y[both]).pvalue)


def wilcoxon_pvalue(a: np.ndarray, b: np.ndarray) -> float:
    """Two-sided Wilcoxon signed-rank p-value (``scipy.stats.wilcoxon``, zero differences dropped).

    Every difference 0 gives p = 1; no pairs gives NaN.
    """
    d = paired_differences(a, b)
    if d.size == 0:
        return float("nan")
    if not d.any():
        return 1.0
    return float(stats.wilcoxon(d, zero_method="wilcox").pvalue)


@dataclass(frozen=True)
class PairedComparison:
    """Paired comparison of model A and model B on one metric (diff = mean_a - mean_b)."""

    n: int
    mean_a: float
    mean_b: float
    diff: float
    ci_low: float
    ci_high: float
    p_t: float
    p_wilcoxon: float


def compare_paired(a: np.ndarray, b: np.ndarray, n_boot: int = 2000, ci: float = 0.95,
                   seed: int = 0) -> PairedComparison:
    """Means, bootstrap CI of the mean difference, t-test and Wilcoxon p-values over common queries."""
    x, y = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    d = paired_differences(x, y)
    both = ~(np.isnan(x) | np.isnan(y))
    interval = paired_bootstrap_ci(x, y, n_boot=n_boot, ci=ci, seed=seed)
    nan = float("nan")
    return PairedComparison(
        n=int(d.size),
        mean_a=float(x[both].mean()) if d.size else nan,
        mean_b=float(y[both].mean()) if d.size else nan,
        diff=interval.estimate, ci_low=interval.low, ci_high=interval.high,
        p_t=paired_t_pvalue(x, y), p_wilcoxon=wilcoxon_pvalue(x, y),
    )
