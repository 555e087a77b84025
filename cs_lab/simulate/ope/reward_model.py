"""Click model q(x, a, k) = P(click | user x, item a, slot k) for the direct method and doubly robust.

An L2-penalised logistic regression whose logit is a sum of blocks, so predictions for every item
of a round need no (rounds x items) design matrix:

    logit(x, a, k) = b + u(x)·w_u + f(a)·w_f + w_pos[k] + w_aff · affinity(x, a)

u(x): one-hot of each user category; f(a): item_feature_0 standardised, one-hot of item_feature_1..3
and (``item_onehot``) of the item id; affinity(x, a): the log's user-item affinity. Fitted by
L-BFGS (scipy) on negative log-likelihood + l2/2 ||w||^2 (the intercept is not penalised).

``cross_fit`` splits the rounds into K seeded folds and predicts each fold with the model fitted on
the other K-1, so DM/DR never use a prediction of a round the model saw (Chernozhukov et al. 2018).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field
from scipy import optimize, special

from cs_lab.errors import DataError


class RewardModelConfig(BaseModel):
    """l2: penalty on the non-intercept weights (per sum of log-likelihood); n_folds: K of cross-fitting;
    item_onehot: add an item-id block to the item features; max_iter: L-BFGS iterations."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    l2: float = Field(100.0, gt=0)
    n_folds: int = Field(5, ge=2)
    item_onehot: bool = False
    max_iter: int = Field(500, ge=10)


@dataclass
class Design:
    """The blocks of the logit. user (n, du); item (A, di); position (n,) 0-based; affinity (n, A)."""

    user: np.ndarray
    item: np.ndarray
    position: np.ndarray
    affinity: np.ndarray
    len_list: int

    @cached_property
    def groups(self) -> np.ndarray:
        """Group of each round: rounds with the same user categories and slot share the row term."""
        key = np.hstack([self.user, self.position[:, None].astype(np.float64)])
        return np.unique(key, axis=0, return_inverse=True)[1].ravel()

    @cached_property
    def affinity_rows(self) -> np.ndarray:
        """Rounds with a non-zero affinity to some item (their logits differ per round)."""
        return np.any(self.affinity != 0, axis=1)

    @property
    def n_params(self) -> int:
        return 1 + self.user.shape[1] + self.item.shape[1] + self.len_list + 1


def _onehot(values: pd.Series) -> np.ndarray:
    codes = pd.Categorical(values).codes
    out = np.zeros((len(values), int(codes.max()) + 1 if len(codes) else 0))
    out[np.arange(len(values)), codes] = 1.0
    return out


def build_design(user: pd.DataFrame, item_context: pd.DataFrame, position: np.ndarray, affinity: np.ndarray,
                 len_list: int, item_onehot: bool = True) -> Design:
    """Blocks from a log's user categories, its item context (indexed 0..A-1) and affinities."""
    u = np.hstack([_onehot(user[c]) for c in user.columns]) if user.shape[1] else np.zeros((len(user), 0))
    blocks = []
    for c in item_context.columns:
        col = item_context[c]
        if pd.api.types.is_numeric_dtype(col) and not isinstance(col.dtype, pd.CategoricalDtype):
            x = col.to_numpy(dtype=np.float64)
            sd = x.std()
            blocks.append(((x - x.mean()) / (sd if sd > 0 else 1.0))[:, None])
        else:
            blocks.append(_onehot(col))
    if item_onehot:
        blocks.append(np.eye(len(item_context)))
    f = np.hstack(blocks) if blocks else np.zeros((len(item_context), 0))
    return Design(u, f, np.asarray(position, dtype=np.int64), np.asarray(affinity, dtype=np.float64), len_list)


def _split(theta: np.ndarray, d: Design):
    du, di = d.user.shape[1], d.item.shape[1]
    b = theta[0]
    wu = theta[1:1 + du]
    wf = theta[1 + du:1 + du + di]
    wp = theta[1 + du + di:1 + du + di + d.len_list]
    wa = theta[-1]
    return b, wu, wf, wp, wa


def _row_matrix(d: Design, rows: np.ndarray, action: np.ndarray) -> np.ndarray:
    """Design rows of the logged (round, item, slot) triples."""
    n = len(rows)
    pos = np.zeros((n, d.len_list))
    pos[np.arange(n), d.position[rows]] = 1.0
    aff = d.affinity[rows, action][:, None]
    return np.hstack([np.ones((n, 1)), d.user[rows], d.item[action], pos, aff])


@dataclass
class LogisticClickModel:
    """theta: fitted weights; cov_chol: Cholesky factor of the inverse Hessian of the penalised
    negative log-likelihood at theta (Laplace approximation of theta's sampling distribution)."""

    theta: np.ndarray
    design: Design
    cov_chol: np.ndarray | None = None

    def draw(self, z: np.ndarray) -> "LogisticClickModel":
        """The model with weights theta + L z, L L' = H^-1: with z ~ N(0, I), a draw from the Laplace
        approximation N(theta, H^-1) (a parametric bootstrap draw)."""
        if self.cov_chol is None:
            return self
        return LogisticClickModel(self.theta + self.cov_chol @ z, self.design)

    def predict_logged_slot(self, rows: np.ndarray) -> np.ndarray:
        """q(x_t, a, k_t) for every item a: (len(rows), A), at each round's logged slot.

        Rounds without any affinity share the row term b + u·w_u + w_pos[k] with every round of
        the same user categories and slot, so the sigmoid is evaluated once per such group."""
        b, wu, wf, wp, wa = _split(self.theta, self.design)
        d = self.design
        g = d.groups[rows]
        first = np.full(int(d.groups.max()) + 1, -1)
        first[g[::-1]] = rows[::-1]
        present = first >= 0
        row_g = np.zeros(len(first))
        row_g[present] = b + d.user[first[present]] @ wu + wp[d.position[first[present]]]
        col = d.item @ wf
        q = special.expit(row_g[:, None] + col[None, :])[g]
        nz = np.flatnonzero(d.affinity_rows[rows])
        if nz.size:
            r = rows[nz]
            q[nz] = special.expit(row_g[g[nz], None] + col[None, :] + wa * d.affinity[r])
        return q


def fit_logistic(d: Design, rows: np.ndarray, action: np.ndarray, reward: np.ndarray,
                 cfg: RewardModelConfig) -> LogisticClickModel:
    """Fit on the logged triples of ``rows`` (action and reward of those rows)."""
    X = _row_matrix(d, rows, action)
    y = np.asarray(reward, dtype=np.float64)
    if not ((y == 0) | (y == 1)).all():
        raise DataError("the click model needs rewards in {0, 1}")
    pen = np.full(X.shape[1], cfg.l2)
    pen[0] = 0.0
    base = np.clip(y.mean(), 1e-6, 1 - 1e-6)
    theta0 = np.zeros(X.shape[1])
    theta0[0] = np.log(base / (1 - base))

    def f(theta):
        z = X @ theta
        nll = np.sum(np.logaddexp(0.0, z) - y * z)
        grad = X.T @ (special.expit(z) - y)
        return nll + 0.5 * np.sum(pen * theta ** 2), grad + pen * theta

    res = optimize.minimize(f, theta0, jac=True, method="L-BFGS-B", options={"maxiter": cfg.max_iter})
    pr = special.expit(X @ res.x)
    hess = (X * (pr * (1 - pr))[:, None]).T @ X + np.diag(pen) + 1e-9 * np.eye(X.shape[1])
    chol = np.linalg.cholesky(np.linalg.inv(hess))
    return LogisticClickModel(res.x, d, chol)


@dataclass
class CrossFit:
    """Out-of-fold predictions q (n, A) at each round's logged slot and the fold of each round."""

    q: np.ndarray
    fold: np.ndarray
    n_folds: int
    models: list[LogisticClickModel]

    def draw_q(self, rng: np.random.Generator) -> np.ndarray:
        """Out-of-fold predictions with each fold's weights drawn from their Laplace approximation.
        One z for all folds: the fold models share (K-2)/(K-1) of their training rounds, so their
        errors move together; independent draws would average the model's noise away."""
        q = np.empty_like(self.q)
        z = rng.standard_normal(len(self.models[0].theta))
        for j, model in enumerate(self.models):
            rows = np.flatnonzero(self.fold == j)
            q[rows] = model.draw(z).predict_logged_slot(rows)
        return q

    def diagnostics(self, action: np.ndarray, reward: np.ndarray) -> dict[str, float]:
        """Out-of-fold log loss and Brier score of the logged triples, beside the constant model's."""
        p = np.clip(self.q[np.arange(len(action)), action], 1e-12, 1 - 1e-12)
        base = np.full_like(p, np.clip(reward.mean(), 1e-12, 1 - 1e-12))

        def ll(x):
            return float(-np.mean(reward * np.log(x) + (1 - reward) * np.log(1 - x)))

        return {"oof_log_loss": ll(p), "constant_log_loss": ll(base), "oof_brier": float(np.mean((p - reward) ** 2)),
                "constant_brier": float(np.mean((base - reward) ** 2))}


def fold_ids(n: int, n_folds: int, seed: int) -> np.ndarray:
    """Seeded balanced folds: a random permutation's index mod K."""
    if n < n_folds:
        raise DataError(f"{n} rounds cannot be split into {n_folds} folds")
    out = np.empty(n, dtype=np.int64)
    out[np.random.default_rng(seed).permutation(n)] = np.arange(n) % n_folds
    return out


def cross_fit(d: Design, action: np.ndarray, reward: np.ndarray, cfg: RewardModelConfig, seed: int) -> CrossFit:
    n = len(action)
    folds = fold_ids(n, cfg.n_folds, seed)
    q = np.empty((n, d.item.shape[0]))
    models = []
    for j in range(cfg.n_folds):
        test = np.flatnonzero(folds == j)
        train = np.flatnonzero(folds != j)
        model = fit_logistic(d, train, action[train], reward[train], cfg)
        q[test] = model.predict_logged_slot(test)
        models.append(model)
    return CrossFit(q, folds, cfg.n_folds, models)
