"""Synthetic Open-Bandit-like logs with a known truth: a uniform-random log and an evaluation
policy's own log, clicks from a position-based model P(click) = exam[k] * attract[a] * mult[user]."""

from __future__ import annotations

import numpy as np
import pandas as pd

from cs_lab.data.loaders.open_bandit import BanditLog

EXAM = np.array([1.0, 0.6, 0.4])
USER_MULT = np.array([0.5, 1.0, 1.5])   # by user_feature_0 level, levels equally likely


def attract(n_items: int) -> np.ndarray:
    return np.linspace(0.05, 0.3, n_items)


def pi_e_default(n_items: int, len_list: int = 3) -> np.ndarray:
    """A context-free policy favouring high-attraction items, different per slot."""
    s = np.arange(n_items, dtype=np.float64)
    cols = [np.exp(0.5 * s * (1 - 0.3 * k)) for k in range(len_list)]
    pi = np.stack(cols, axis=1)
    return pi / pi.sum(axis=0)


def true_value(pi: np.ndarray) -> float:
    """sum_k P(k) sum_a pi(a, k) exam[k] attract[a] E[mult]: slots equally likely."""
    a = attract(pi.shape[0])
    return float(np.mean([EXAM[k] * (pi[:, k] @ a) for k in range(pi.shape[1])]) * USER_MULT.mean())


def make_log(rng: np.random.Generator, n: int, pi: np.ndarray | None, policy: str, n_items: int) -> BanditLog:
    """``pi`` None: uniform random logging (pscore 1/n_items); else actions drawn from pi(., k)."""
    L = 3
    k = rng.integers(0, L, n)
    u0 = rng.integers(0, 3, n)
    if pi is None:
        a = rng.integers(0, n_items, n)
        p = np.full(n, 1.0 / n_items)
    else:
        cdf = np.cumsum(pi, axis=0)[:, k].T            # (n, A)
        a = np.minimum((cdf < rng.random(n)[:, None]).sum(axis=1), n_items - 1)
        p = pi[a, k]
    prob = EXAM[k] * attract(n_items)[a] * USER_MULT[u0]
    r = (rng.random(n) < prob).astype(np.float64)
    user = pd.DataFrame({"user_feature_0": pd.Categorical(u0.astype(str)),
                         "user_feature_1": pd.Categorical(rng.integers(0, 4, n).astype(str))})
    ctx = pd.DataFrame({"item_feature_0": np.linspace(-1, 1, n_items),
                        "item_feature_1": pd.Categorical((np.arange(n_items) % 3).astype(str))},
                       index=pd.RangeIndex(n_items, name="item_id"))
    return BanditLog(policy=policy, campaign="synthetic", action=a, position=k, reward=r, pscore=p,
                     timestamp=np.zeros(n, dtype="datetime64[ns]"), user=user, affinity=np.zeros((n, n_items)),
                     item_context=ctx, n_items=n_items)


def logs(seed: int, n: int = 3000, n_items: int = 8, pi: np.ndarray | None = None):
    rng = np.random.default_rng(seed)
    pi = pi_e_default(n_items) if pi is None else pi
    return make_log(rng, n, None, "random", n_items), make_log(rng, n, pi, "bts", n_items), pi
