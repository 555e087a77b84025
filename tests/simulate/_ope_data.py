"""Deterministic synthetic logged bandit feedback for the OPE tests (uses only Generator.random and
Generator.integers, whose streams are stable across NumPy versions). Shared by test_ope.py and
obp_reference.py, which recomputes the reference numbers with Open Bandit Pipeline."""

from __future__ import annotations

import numpy as np


def _softmax(x: np.ndarray, axis: int) -> np.ndarray:
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def logged_feedback(n: int = 400, n_actions: int = 6, len_list: int = 3, seed: int = 20240611) -> dict:
    rng = np.random.default_rng(seed)
    pi_b = _softmax(3.0 * rng.random((n, n_actions)), axis=1)           # logging policy
    u = rng.random(n)
    action = np.minimum((pi_b.cumsum(axis=1) < u[:, None]).sum(axis=1), n_actions - 1)
    pscore = pi_b[np.arange(n), action]
    position = rng.integers(0, len_list, n)
    q = 1.0 / (1.0 + np.exp(-(4.0 * rng.random((n, n_actions, len_list)) - 2.5)))  # true E[r | x, a, k]
    reward = (rng.random(n) < q[np.arange(n), action, position]).astype(np.float64)
    action_dist = _softmax(4.0 * rng.random((n, n_actions, len_list)), axis=1)     # evaluation policy
    estimated = np.clip(q + 0.2 * (rng.random(q.shape) - 0.5), 0.0, 1.0)          # reward model
    return {"action": action, "reward": reward, "pscore": pscore, "position": position,
            "action_dist": action_dist, "estimated_rewards_by_reg_model": estimated}


def fingerprint(d: dict) -> dict:
    """Sums that pin the generated inputs, to catch a change in the random streams."""
    return {k: float(np.asarray(v, dtype=np.float64).sum()) for k, v in sorted(d.items())}
