"""Synthetic sessions and policies for tests, benchmarks and examples (vectorised: 1M sessions in seconds).

Customers have a latent spending level s ~ LogNormal(0, 0.5). A session's cart value, its hidden
items' prices and the customer's pre-period spend all scale with s, so the pre-period spend is a
useful CUPED covariate for revenue and order value (as it tends to be in real shops).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from cs_lab.data import schema as S
from cs_lab.simulate.arms import Arm
from cs_lab.simulate.sessions import CART_VALUE, QUERY


@dataclass
class SyntheticSessions:
    sessions: pd.DataFrame   # query_id, customer_id, cart_value, pre_period_spend
    truth: pd.DataFrame      # query_id, item_id, quantity, unit_price, value, unit_cost
    item_ids: np.ndarray     # the item vocabulary (index -> id)
    hidden: np.ndarray       # (n_truth,) item index of each truth row
    truth_session: np.ndarray  # (n_truth,) session index of each truth row


def synthetic_sessions(n_sessions: int = 10_000, *, n_items: int = 2_000, mean_hidden: float = 1.5,
                       customers_per_session: float = 0.3, seed: int = 0) -> SyntheticSessions:
    """Sessions with >= 1 hidden item each (1 + Poisson(mean_hidden - 1)), prices, costs and a
    pre-period spend correlated with the session's spending level."""
    rng = np.random.default_rng(seed)
    n_cust = max(1, int(n_sessions * customers_per_session))
    level = rng.lognormal(0.0, 0.5, n_cust)
    cust = rng.integers(0, n_cust, n_sessions)
    s = level[cust]
    item_ids = np.array([f"I{i:06d}" for i in range(n_items)], dtype=object)
    base_price = np.round(rng.lognormal(1.5, 0.6, n_items), 2) + 0.5
    cost_share = rng.uniform(0.4, 0.85, n_items)
    n_hidden = 1 + rng.poisson(max(mean_hidden - 1.0, 0.0), n_sessions)
    sess = np.repeat(np.arange(n_sessions), n_hidden)
    # distinct items per session: a random start plus distinct offsets
    offs = np.arange(len(sess)) - np.repeat(np.cumsum(n_hidden) - n_hidden, n_hidden)
    start = rng.integers(0, n_items, n_sessions)
    item = (start[sess] + offs * 7919) % n_items
    qty = 1.0 + rng.poisson(0.4, len(sess))
    price = np.round(base_price[item] * s[sess] ** 0.5, 2)
    value = qty * price
    ids = np.char.add("Q", np.arange(n_sessions).astype(str)).astype(object)
    cust_ids = np.char.add("C", cust.astype(str)).astype(object)
    cart_value = np.round(s * rng.lognormal(3.0, 0.5, n_sessions), 2)
    pre = np.round(s * rng.gamma(2.0, 60.0, n_sessions) * (rng.random(n_sessions) < 0.8), 2)
    sessions = pd.DataFrame({QUERY: ids, S.CUSTOMER: cust_ids, CART_VALUE: cart_value, "pre_period_spend": pre})
    truth = pd.DataFrame({QUERY: ids[sess], S.ITEM: item_ids[item], S.QUANTITY: qty, S.UNIT_PRICE: price,
                          S.VALUE: value, S.UNIT_COST: np.round(price * cost_share[item], 2)})
    return SyntheticSessions(sessions, truth, item_ids, item, sess)


def synthetic_policy(data: SyntheticSessions, hit_rate: float, *, slots: int = 5, seed: int = 0) -> Arm:
    """A policy that, with probability ``hit_rate`` per session, shows one of its hidden items at a
    uniformly random slot; other slots hold random items. Returned as model-style integer indices."""
    rng = np.random.default_rng(seed)
    n = len(data.sessions)
    n_items = len(data.item_ids)
    ids = rng.integers(0, n_items, (n, slots))
    first = np.unique(data.truth_session, return_index=True)[1]
    hit = rng.random(n) < hit_rate
    rows = np.flatnonzero(hit)
    ids[rows, rng.integers(0, slots, len(rows))] = data.hidden[first][rows]
    return Arm(ids, items=data.item_ids)
