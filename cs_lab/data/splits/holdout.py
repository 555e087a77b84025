"""Basket-completion holdout: split each test basket into a visible cart (the query) and hidden
items (the truth), with a seed.

mode="leave_one_out"  one hidden item per basket
mode="fraction"       round(fraction * n) hidden items, at least 1, and at least 1 item stays visible
mode="item_to_item"   one visible item (the cart), every other item hidden ("frequently bought together")
Only baskets with >= ``min_items`` distinct items (>= 2) take part.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from cs_lab.data import schema as S
from cs_lab.data.splits.base import frame_digest
from cs_lab.errors import ConfigError, LeakageError

QUERY = "query_id"


@dataclass
class BasketCompletion:
    """queries: query_id, customer_id, basket_id, timestamp, cart_size, n_hidden
    cart:    query_id, item_id                              (visible items)
    truth:   query_id, item_id, quantity, unit_price, value (hidden items)"""

    queries: pd.DataFrame
    cart: pd.DataFrame
    truth: pd.DataFrame
    params: dict

    @property
    def fingerprint(self) -> str:
        h = hashlib.sha256(json.dumps(self.params, sort_keys=True).encode())
        h.update(frame_digest(self.cart, (QUERY, S.ITEM)).encode())
        h.update(frame_digest(self.truth, (QUERY, S.ITEM)).encode())
        return h.hexdigest()[:16]

    def check(self) -> None:
        both = self.cart.merge(self.truth, on=[QUERY, S.ITEM])
        if len(both):
            raise LeakageError(f"{len(both)} hidden item(s) are also in their visible cart")


def basket_completion(test: pd.DataFrame, *,
                      mode: Literal["leave_one_out", "fraction", "item_to_item"] = "leave_one_out",
                      fraction: float = 0.5, min_items: int = 2, seed: int = 0,
                      max_queries: int | None = None) -> BasketCompletion:
    """Build cart/truth pairs from test-period lines (see module docstring).
    ``max_queries`` keeps a seeded random sample of the eligible baskets."""
    if mode not in ("leave_one_out", "fraction", "item_to_item"):
        raise ConfigError(f"holdout.mode must be 'leave_one_out', 'fraction' or 'item_to_item', got {mode!r}")
    if mode == "fraction" and not 0 < fraction < 1:
        raise ConfigError(f"holdout.fraction must be in (0, 1), got {fraction}")
    if min_items < 2:
        raise ConfigError(f"holdout.min_items must be >= 2 (a cart and a hidden item), got {min_items}")
    items = (test.groupby([S.BASKET, S.ITEM], observed=True, sort=True)
             .agg(**{S.QUANTITY: (S.QUANTITY, "sum"), S.UNIT_PRICE: (S.UNIT_PRICE, "median"),
                     S.VALUE: (S.VALUE, "sum"), S.CUSTOMER: (S.CUSTOMER, "first"),
                     S.TIMESTAMP: (S.TIMESTAMP, "min")})
             .reset_index())
    size = items.groupby(S.BASKET, observed=True)[S.ITEM].transform("size").to_numpy()
    items = items[size >= min_items].reset_index(drop=True)
    size = size[size >= min_items]
    rng = np.random.default_rng(seed)
    baskets = items[S.BASKET].unique()
    if max_queries is not None and len(baskets) > max_queries:
        keep = np.sort(rng.choice(len(baskets), max_queries, replace=False))
        chosen = baskets[keep]
        mask = items[S.BASKET].isin(chosen).to_numpy()
        items, size = items[mask].reset_index(drop=True), size[mask]
    key = rng.random(len(items))
    rank = (pd.DataFrame({"b": items[S.BASKET].to_numpy(), "k": key})
            .groupby("b", observed=True, sort=False)["k"].rank(method="first").to_numpy() - 1)
    if mode == "leave_one_out":
        n_hidden = np.ones(len(items))
    elif mode == "item_to_item":
        n_hidden = size - 1.0
    else:
        n_hidden = np.clip(np.round(fraction * size), 1, size - 1)
    hidden = rank < n_hidden
    items[QUERY] = items[S.BASKET].astype(str)
    cart = items.loc[~hidden, [QUERY, S.ITEM]].reset_index(drop=True)
    truth = items.loc[hidden, [QUERY, S.ITEM, S.QUANTITY, S.UNIT_PRICE, S.VALUE]].reset_index(drop=True)
    first = items.drop_duplicates(QUERY)
    queries = pd.DataFrame({QUERY: first[QUERY].to_numpy(), S.CUSTOMER: first[S.CUSTOMER].to_numpy(),
                            S.BASKET: first[S.BASKET].to_numpy(), S.TIMESTAMP: first[S.TIMESTAMP].to_numpy()})
    queries["cart_size"] = queries[QUERY].map(cart[QUERY].value_counts()).fillna(0).astype("int64").to_numpy()
    queries["n_hidden"] = queries[QUERY].map(truth[QUERY].value_counts()).fillna(0).astype("int64").to_numpy()
    out = BasketCompletion(queries, cart, truth, {"mode": mode, "fraction": fraction if mode == "fraction" else None,
                                                  "min_items": min_items, "seed": seed, "max_queries": max_queries})
    out.check()
    return out
