"""Off-policy evaluation of a recommendation policy from logged bandit feedback with propensities.

Logged rounds t = 1..n: context x_t, logged action a_t (at display position k_t), reward r_t and
the logging policy's propensity pi_b(a_t | x_t) (``pscore``). The evaluation policy pi_e is given
as its action distribution ``action_dist`` of shape (n, n_actions) or (n, n_actions, len_list)
(probability of each action at each position); ``estimated_rewards`` q_hat(x, a[, k]) from a
reward model has the same shape. With w_t = pi_e(a_t | x_t, k_t) / pi_b(a_t | x_t):

    IPS    V = mean_t  w_t r_t
    SNIPS  V = sum_t w_t r_t / sum_t w_t
    DM     V = mean_t  sum_a pi_e(a | x_t, k_t) q_hat(x_t, a, k_t)
    DR     V = DM + mean_t w_t (r_t - q_hat(x_t, a_t, k_t))

These are the definitions of Open Bandit Pipeline's InverseProbabilityWeighting,
SelfNormalizedInverseProbabilityWeighting, DirectMethod and DoublyRobust (obp 0.4.1, no weight
clipping); tests/simulate/test_ope.py checks equality with numbers produced by obp itself.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from cs_lab.errors import DataError


@dataclass
class LoggedFeedback:
    """Logged rounds: action (n,) int, reward (n,) float, pscore (n,) in (0, 1], position (n,) or None."""

    action: np.ndarray
    reward: np.ndarray
    pscore: np.ndarray
    position: np.ndarray | None = None


def _prepare(action_dist: np.ndarray, action=None, position=None, pscore=None, reward=None,
             estimated_rewards=None):
    pi = np.asarray(action_dist, dtype=np.float64)
    if pi.ndim == 2:
        pi = pi[:, :, None]
    if pi.ndim != 3:
        raise DataError(f"action_dist must be (n, n_actions) or (n, n_actions, len_list), got {pi.shape}")
    n, n_actions, len_list = pi.shape
    if not np.allclose(pi.sum(axis=1), 1.0, atol=1e-6):
        raise DataError("action_dist must sum to 1 over actions for every round and position")
    pos = np.zeros(n, dtype=np.int64) if position is None else np.asarray(position, dtype=np.int64)
    if pos.shape != (n,) or (len(pos) and (pos.min() < 0 or pos.max() >= len_list)):
        raise DataError(f"position must be (n,) = ({n},) with values in [0, {len_list})")
    out = {"pi": pi, "pos": pos, "rows": np.arange(n)}
    if action is not None:
        a = np.asarray(action, dtype=np.int64)
        if a.shape != (n,) or (n and (a.min() < 0 or a.max() >= n_actions)):
            raise DataError(f"action must be (n,) = ({n},) with values in [0, {n_actions})")
        out["a"] = a
    if pscore is not None:
        p = np.asarray(pscore, dtype=np.float64)
        if p.shape != (n,) or not ((p > 0) & (p <= 1)).all():
            raise DataError("pscore must be (n,) with logging propensities in (0, 1]",
                            hint="rounds with pscore 0 cannot be reweighted; drop them or fix the log")
        out["p"] = p
    if reward is not None:
        r = np.asarray(reward, dtype=np.float64)
        if r.shape != (n,):
            raise DataError(f"reward must have shape ({n},), got {r.shape}")
        out["r"] = r
    if estimated_rewards is not None:
        q = np.asarray(estimated_rewards, dtype=np.float64)
        if q.ndim == 2:
            q = q[:, :, None]
        if q.shape != pi.shape:
            raise DataError(f"estimated_rewards must have the shape of action_dist {pi.shape}, got {q.shape}")
        out["q"] = q
    return out


def importance_weights(action, pscore, action_dist, position=None) -> np.ndarray:
    """w_t = pi_e(a_t | x_t, k_t) / pi_b(a_t | x_t)."""
    d = _prepare(action_dist, action=action, position=position, pscore=pscore)
    return d["pi"][d["rows"], d["a"], d["pos"]] / d["p"]


def ips(reward, action, pscore, action_dist, position=None) -> float:
    """Inverse propensity scoring: mean(w * r)."""
    d = _prepare(action_dist, action, position, pscore, reward)
    w = d["pi"][d["rows"], d["a"], d["pos"]] / d["p"]
    return float(np.mean(w * d["r"]))


def snips(reward, action, pscore, action_dist, position=None) -> float:
    """Self-normalised IPS: sum(w * r) / sum(w)."""
    d = _prepare(action_dist, action, position, pscore, reward)
    w = d["pi"][d["rows"], d["a"], d["pos"]] / d["p"]
    return float(np.sum(w * d["r"]) / np.sum(w))


def dm(action_dist, estimated_rewards, position=None) -> float:
    """Direct method: mean over rounds of sum_a pi_e(a | x, k) q_hat(x, a, k)."""
    d = _prepare(action_dist, position=position, estimated_rewards=estimated_rewards)
    return float(np.mean(_dm_rounds(d)))


def dr(reward, action, pscore, action_dist, estimated_rewards, position=None) -> float:
    """Doubly robust: DM + mean(w * (r - q_hat(x, a_logged, k)))."""
    d = _prepare(action_dist, action, position, pscore, reward, estimated_rewards)
    return float(np.mean(_dr_rounds(d)))


def _dm_rounds(d) -> np.ndarray:
    return np.einsum("na,na->n", d["pi"][d["rows"], :, d["pos"]], d["q"][d["rows"], :, d["pos"]])


def _dr_rounds(d) -> np.ndarray:
    w = d["pi"][d["rows"], d["a"], d["pos"]] / d["p"]
    return _dm_rounds(d) + w * (d["r"] - d["q"][d["rows"], d["a"], d["pos"]])


def estimate_policy_value(logged: LoggedFeedback, action_dist, estimated_rewards=None, *,
                          alpha: float = 0.05) -> pd.DataFrame:
    """Every applicable estimator (DM and DR need ``estimated_rewards``) with a normal-approximation
    interval: columns estimator, value, se, ci_low, ci_high, n_rounds, ess (effective sample size
    of the importance weights, (sum w)^2 / sum w^2)."""
    d = _prepare(action_dist, logged.action, logged.position, logged.pscore, logged.reward, estimated_rewards)
    n = len(d["r"])
    w = d["pi"][d["rows"], d["a"], d["pos"]] / d["p"]
    r = d["r"]
    ess = float(w.sum() ** 2 / (w @ w)) if (w @ w) > 0 else 0.0
    z = float(stats.norm.ppf(1 - alpha / 2))
    per_round = {"ips": w * r}
    v_sn = float(np.sum(w * r) / np.sum(w))
    rows = []

    def add(name: str, value: float, se: float) -> None:
        rows.append({"estimator": name, "value": value, "se": se, "ci_low": value - z * se,
                     "ci_high": value + z * se, "n_rounds": n, "ess": ess})

    add("ips", float(per_round["ips"].mean()), float(per_round["ips"].std(ddof=1) / np.sqrt(n)))
    add("snips", v_sn, float((w * (r - v_sn)).std(ddof=1) / w.mean() / np.sqrt(n)))
    if "q" in d:
        for name, vals in (("dm", _dm_rounds(d)), ("dr", _dr_rounds(d))):
            add(name, float(vals.mean()), float(vals.std(ddof=1) / np.sqrt(n)))
    return pd.DataFrame(rows)
