"""Closed-form two-sample comparisons of an arm with the control.

two_proportion_ztest  conversion-type (0/1) outcomes: pooled-variance z statistic for the p-value,
                      unpooled (Wald) standard error for the interval of the difference.
welch_test            means with unequal variances: Welch's t with Satterthwaite degrees of
                      freedom (same numbers as scipy.stats.ttest_ind(equal_var=False)).
The relative lift (arm / control - 1) interval is the delta-method interval of the ratio of means.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np
from scipy import stats

from cs_lab.errors import DataError


@dataclass(frozen=True)
class LiftEstimate:
    """Arm vs control on one metric. abs_* = mean_arm - mean_control; rel_* = mean_arm / mean_control - 1."""

    method: str
    n_arm: int
    n_control: int
    mean_arm: float
    mean_control: float
    abs_lift: float
    abs_low: float
    abs_high: float
    rel_lift: float
    rel_low: float
    rel_high: float
    p_value: float

    def as_dict(self) -> dict:
        return asdict(self)


def _rel_interval(m_a: float, v_a: float, m_c: float, v_c: float, crit: float) -> tuple[float, float, float]:
    """Delta-method interval of m_a / m_c - 1, where v_* are the variances of the two means."""
    if m_c == 0 or not np.isfinite(m_c):
        return math.nan, math.nan, math.nan
    r = m_a / m_c
    se = math.sqrt(max(v_a / m_c**2 + m_a**2 * v_c / m_c**4, 0.0))
    return r - 1.0, r - 1.0 - crit * se, r - 1.0 + crit * se


def two_proportion_ztest(k_arm: float, n_arm: int, k_control: float, n_control: int,
                         alpha: float = 0.05) -> LiftEstimate:
    """Two-sided z-test of p_arm = p_control from successes k and sizes n."""
    if n_arm < 1 or n_control < 1:
        raise DataError(f"z-test needs both groups non-empty, got n_arm={n_arm}, n_control={n_control}")
    p_a, p_c = k_arm / n_arm, k_control / n_control
    pooled = (k_arm + k_control) / (n_arm + n_control)
    se0 = math.sqrt(pooled * (1 - pooled) * (1 / n_arm + 1 / n_control))
    d = p_a - p_c
    p_value = float(2 * stats.norm.sf(abs(d) / se0)) if se0 > 0 else (1.0 if d == 0 else 0.0)
    v_a, v_c = p_a * (1 - p_a) / n_arm, p_c * (1 - p_c) / n_control
    z = float(stats.norm.ppf(1 - alpha / 2))
    se = math.sqrt(v_a + v_c)
    rel, rlo, rhi = _rel_interval(p_a, v_a, p_c, v_c, z)
    return LiftEstimate("z-test", int(n_arm), int(n_control), p_a, p_c, d, d - z * se, d + z * se,
                        rel, rlo, rhi, p_value)


def welch_from_stats(mean_a: float, var_a: float, n_a: int, mean_c: float, var_c: float, n_c: int,
                     alpha: float = 0.05, method: str = "welch") -> LiftEstimate:
    """Welch's t-test from means, (ddof=1) variances and sizes."""
    if n_a < 2 or n_c < 2:
        raise DataError(f"Welch's t-test needs >= 2 sessions per group, got {n_a} and {n_c}")
    va, vc = var_a / n_a, var_c / n_c
    se = math.sqrt(va + vc)
    d = mean_a - mean_c
    if se > 0:
        df = (va + vc) ** 2 / (va**2 / (n_a - 1) + vc**2 / (n_c - 1))
        p_value = float(2 * stats.t.sf(abs(d) / se, df))
        crit = float(stats.t.ppf(1 - alpha / 2, df))
    else:
        p_value, crit = (1.0 if d == 0 else 0.0), 0.0
    rel, rlo, rhi = _rel_interval(mean_a, va, mean_c, vc, crit)
    return LiftEstimate(method, int(n_a), int(n_c), mean_a, mean_c, d, d - crit * se, d + crit * se,
                        rel, rlo, rhi, p_value)


def welch_test(y_arm: np.ndarray, y_control: np.ndarray, alpha: float = 0.05, method: str = "welch"
               ) -> LiftEstimate:
    """Welch's t-test on two samples."""
    a, c = np.asarray(y_arm, dtype=np.float64), np.asarray(y_control, dtype=np.float64)
    return welch_from_stats(float(a.mean()), float(a.var(ddof=1)), a.size,
                            float(c.mean()), float(c.var(ddof=1)), c.size, alpha, method)


def cluster_mean_var(y: np.ndarray, clusters: np.ndarray) -> tuple[float, float, int]:
    """(mean, variance of the mean, number of clusters) of a ratio-of-sums mean under clustering:
    var = G / (G - 1) * sum_g (Y_g - mean N_g)^2 / N^2 (the CR1 sandwich of a cluster-robust mean)."""
    inv = np.unique(clusters, return_inverse=True)[1]
    yg = np.bincount(inv, weights=y)
    ng = np.bincount(inv).astype(np.float64)
    n, g = ng.sum(), len(ng)
    m = yg.sum() / n
    v = g / max(g - 1, 1) * float(((yg - m * ng) ** 2).sum()) / n ** 2
    return float(m), v, g


def cluster_ztest(y_arm: np.ndarray, c_arm: np.ndarray, y_control: np.ndarray, c_control: np.ndarray,
                  alpha: float = 0.05, method: str = "cluster-z") -> LiftEstimate:
    """Wald z-test of two means with cluster-robust variances (whole clusters in one arm, e.g. all
    sessions of a customer): the right test when the unit of randomisation is the cluster."""
    ma, va, ga = cluster_mean_var(np.asarray(y_arm, np.float64), np.asarray(c_arm))
    mc, vc, gc = cluster_mean_var(np.asarray(y_control, np.float64), np.asarray(c_control))
    if ga < 2 or gc < 2:
        raise DataError(f"cluster z-test needs >= 2 clusters per arm, got {ga} and {gc}")
    d, se = ma - mc, math.sqrt(va + vc)
    z = float(stats.norm.ppf(1 - alpha / 2))
    p_value = float(2 * stats.norm.sf(abs(d) / se)) if se > 0 else (1.0 if d == 0 else 0.0)
    rel, rlo, rhi = _rel_interval(ma, va, mc, vc, z)
    return LiftEstimate(method, len(y_arm), len(y_control), ma, mc, d, d - z * se, d + z * se, rel, rlo, rhi, p_value)
