"""Weighted linear regression with several high-dimensional fixed effects, absorbed by
alternating projections, and cluster-robust standard errors.

``absorb`` demeans columns within each grouping in turn (weighted group means, ``np.bincount``)
until no column moves by more than ``tol``: the method of alternating projections
(Gaure 2013, "OLS with multiple high dimensional category variables"). For one grouping it is the
ordinary within transformation; for two or more it converges to the projection off the span of all
the groupings' dummies (Frisch-Waugh-Lovell), so OLS on the demeaned columns gives the same
coefficients as OLS with every dummy.

``fe_ols`` then solves the weighted normal equations on the demeaned regressors and returns the
coefficients with a CR1 cluster-robust covariance, ``G/(G-1) * B^-1 (sum_g s_g s_g') B^-1`` with
``B = X~'WX~`` and ``s_g`` the cluster's summed scores ``w x~ e``. The fixed effects are not counted in
the degrees of freedom: the clusters are meant to nest them (product clusters nest product x store
fixed effects), where counting them would over-correct (Cameron & Miller 2015, section VI.B).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Sequence

import numpy as np

from cs_lab.errors import ConfigError


@dataclass(frozen=True)
class FEResult:
    """Coefficients of ``fe_ols`` with their cluster-robust covariance."""

    names: tuple[str, ...]
    beta: np.ndarray
    vcov: np.ndarray
    n_obs: int
    n_clusters: int
    iterations: int
    # Per-cluster summed influence of each coefficient (n_clusters, k): lets a caller combine the
    # coefficients with other cluster-level estimates (e.g. a baseline mean) in one covariance.
    influence: np.ndarray = field(repr=False)

    @property
    def se(self) -> np.ndarray:
        return np.sqrt(np.diag(self.vcov))

    def coef(self, name: str) -> float:
        return float(self.beta[self.names.index(name)])


def _codes(g: np.ndarray, what: str) -> tuple[np.ndarray, int]:
    g = np.asarray(g)
    if g.ndim != 1:
        raise ConfigError(f"{what}: expected a 1-d array of group codes, got shape {g.shape}")
    if g.dtype.kind in "iu" and g.size:
        lo, hi = int(g.min()), int(g.max())
        if lo >= 0 and hi < 2 * g.size:   # already (nearly) dense codes: skip the sort; empty groups stay empty
            return g.astype(np.int64, copy=False), hi + 1
    uniq, inv = np.unique(g, return_inverse=True)
    return inv.astype(np.int64, copy=False), len(uniq)


def absorb(columns: np.ndarray, groupings: Sequence[np.ndarray], weights: np.ndarray | None = None,
           tol: float = 1e-10, max_iter: int = 1000,
           on_iteration: Callable[[int, float], None] | None = None) -> tuple[np.ndarray, int]:
    """Columns (n, k) with every grouping's weighted means projected out; returns (demeaned, iterations).

    ``groupings`` are integer code arrays of length n (any integers; recoded internally). Converged
    when the largest change of any entry in one full sweep is below ``tol`` times the columns'
    largest absolute value. ``on_iteration(i, change)`` is called after every sweep (progress bars).
    """
    x = np.array(columns, dtype=np.float64, copy=True)
    if x.ndim == 1:
        x = x[:, None]
    n = x.shape[0]
    w = np.ones(n) if weights is None else np.asarray(weights, dtype=np.float64)
    if w.shape != (n,) or np.any(w < 0) or not np.all(np.isfinite(w)):
        raise ConfigError("absorb: weights must be finite, non-negative and one per row")
    coded = []
    for i, g in enumerate(groupings):
        if len(g) != n:
            raise ConfigError(f"absorb: grouping #{i} has {len(g)} entries for {n} rows")
        codes, m = _codes(g, f"grouping #{i}")
        wsum = np.bincount(codes, weights=w, minlength=m)
        coded.append((codes, np.divide(1.0, wsum, out=np.zeros(m), where=wsum > 0)))
    if not coded:
        return x, 0
    scale = max(float(np.abs(x).max()) if x.size else 0.0, 1e-300)
    for it in range(1, max_iter + 1):
        change = 0.0
        for codes, inv_w in coded:
            for j in range(x.shape[1]):
                means = np.bincount(codes, weights=w * x[:, j], minlength=len(inv_w)) * inv_w
                step = means[codes]
                x[:, j] -= step
                change = max(change, float(np.abs(step).max()) if n else 0.0)
        if on_iteration is not None:
            on_iteration(it, change / scale)
        if len(coded) == 1 or change <= tol * scale:
            return x, it
    raise ConfigError(f"absorb: alternating projections did not converge in {max_iter} sweeps "
                      f"(last change {change / scale:.2e} > tol {tol:.0e}); raise max_iter or check the groupings")


def cluster_influence(scores: np.ndarray, cluster: np.ndarray) -> tuple[np.ndarray, int]:
    """Row scores (n, k) summed within clusters -> (G, k) and G."""
    codes, g = _codes(cluster, "cluster")
    present = np.bincount(codes, minlength=g) > 0
    out = np.column_stack([np.bincount(codes, weights=scores[:, j], minlength=g)[present]
                           for j in range(scores.shape[1])])
    return out, int(present.sum())


def cr1(influence: np.ndarray) -> np.ndarray:
    """CR1 covariance from per-cluster summed influence (G, k): G/(G-1) * sum_g psi_g psi_g'."""
    g = influence.shape[0]
    if g < 2:
        raise ConfigError(f"cluster-robust covariance needs at least 2 clusters, got {g}")
    return (g / (g - 1)) * influence.T @ influence


def fe_ols(y: np.ndarray, x: np.ndarray, groupings: Sequence[np.ndarray], cluster: np.ndarray,
           weights: np.ndarray | None = None, names: Sequence[str] | None = None, tol: float = 1e-10,
           max_iter: int = 1000, on_iteration: Callable[[int, float], None] | None = None) -> FEResult:
    """Weighted OLS of ``y`` on ``x`` (n, k) with the ``groupings``' fixed effects absorbed;
    CR1 standard errors clustered by ``cluster``."""
    y = np.asarray(y, dtype=np.float64)
    x = np.asarray(x, dtype=np.float64)
    if x.ndim == 1:
        x = x[:, None]
    n, k = x.shape
    if y.shape != (n,):
        raise ConfigError(f"fe_ols: y has shape {y.shape}, x has {n} rows")
    if not (np.all(np.isfinite(y)) and np.all(np.isfinite(x))):
        raise ConfigError("fe_ols: y and x must be finite (no NaN / inf)")
    names = tuple(names) if names is not None else tuple(f"x{j}" for j in range(k))
    if len(names) != k:
        raise ConfigError(f"fe_ols: {len(names)} names for {k} regressors")
    w = np.ones(n) if weights is None else np.asarray(weights, dtype=np.float64)
    z, iters = absorb(np.column_stack([y, x]), groupings, w, tol=tol, max_iter=max_iter,
                      on_iteration=on_iteration)
    yt, xt = z[:, 0], z[:, 1:]
    bread = xt.T @ (xt * w[:, None])
    if np.linalg.matrix_rank(bread) < k:
        raise ConfigError(f"fe_ols: regressors {names} have no variation left after the fixed effects "
                          "(collinear with them); drop one or restrict to units with variation")
    beta = np.linalg.solve(bread, xt.T @ (w * yt))
    resid = yt - xt @ beta
    scores = xt * (w * resid)[:, None]
    summed, g = cluster_influence(scores, cluster)
    influence = summed @ np.linalg.inv(bread).T
    return FEResult(names=names, beta=beta, vcov=cr1(influence), n_obs=n, n_clusters=g,
                    iterations=iters, influence=influence)
