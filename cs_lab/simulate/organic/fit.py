"""Weighted, L2-penalised logistic regression (L-BFGS), with the coefficients' covariance.

Small and dependency-free on purpose: the organic model has a handful of features, and its
coefficient covariance (inverse Hessian at the optimum) feeds the parameter bootstrap.
"""

from __future__ import annotations

import numpy as np
from scipy import optimize, special


def fit_logistic(X: np.ndarray, y: np.ndarray, w: np.ndarray | None = None, l2: float = 1e-3
                 ) -> tuple[np.ndarray, np.ndarray]:
    """(beta, cov): beta[0] is the intercept (not penalised); X is (n, p) without an intercept column.
    The loss is sum_i w_i logloss_i / sum_i w_i + l2/2 |beta[1:]|^2; ``cov`` is the inverse Hessian of
    the weighted log-likelihood (scaled to the effective sample size (sum w)^2 / sum w^2)."""
    X = np.column_stack([np.ones(len(X)), np.asarray(X, dtype=np.float64)])
    y = np.asarray(y, dtype=np.float64)
    w = np.ones(len(y)) if w is None else np.asarray(w, dtype=np.float64)
    sw = w.sum()
    pen = np.r_[0.0, np.full(X.shape[1] - 1, l2)]

    def loss(b):
        z = X @ b
        ll = np.logaddexp(0.0, z) - y * z
        g = X.T @ (w * (special.expit(z) - y)) / sw + pen * b
        return float(w @ ll / sw + 0.5 * pen @ (b * b)), g

    res = optimize.minimize(loss, np.zeros(X.shape[1]), jac=True, method="L-BFGS-B",
                            options={"maxiter": 500, "gtol": 1e-9})
    beta = res.x
    p = special.expit(X @ beta)
    n_eff = sw ** 2 / float(w @ w)
    H = (X * (w * p * (1 - p))[:, None]).T @ X / sw + np.diag(pen)
    cov = np.linalg.pinv(H) / n_eff
    return beta, cov


def predict_logistic(X: np.ndarray, beta: np.ndarray) -> np.ndarray:
    """P(y = 1) for rows of X (no intercept column); beta may be (p + 1,) or (p + 1, B) draws."""
    return special.expit(beta[0] + np.asarray(X, dtype=np.float64) @ beta[1:])
