"""Small shared fixtures: synthetic training interactions and queries with the awkward cases."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd

from cs_lab.data import schema as S
from cs_lab.data.interactions import Interactions
from cs_lab.data.queries import Queries
from cs_lab.data.synthetic import SyntheticData, generate


@dataclass
class ContractData:
    synthetic: SyntheticData
    train: Interactions
    queries: Queries          # includes an empty cart, unknown items, unknown customers
    test_lines: pd.DataFrame


@lru_cache(maxsize=4)
def contract_data(seed: int = 0) -> ContractData:
    syn = generate(n_customers=120, n_items=80, n_baskets=1500, seed=seed)
    lines = syn.dataset.lines
    cut = lines[S.TIMESTAMP].quantile(0.8)
    train_lines, test_lines = lines[lines[S.TIMESTAMP] < cut], lines[lines[S.TIMESTAMP] >= cut]
    train = Interactions.from_lines(train_lines)
    baskets = test_lines[S.BASKET].unique()[:40]
    q = pd.DataFrame({"query_id": baskets})
    first = test_lines.drop_duplicates(S.BASKET).set_index(S.BASKET)
    q[S.CUSTOMER] = first.loc[baskets, S.CUSTOMER].to_numpy()
    cart = test_lines[test_lines[S.BASKET].isin(baskets)].rename(columns={S.BASKET: "query_id"})
    cart = cart.groupby("query_id", sort=False).head(2)[["query_id", S.ITEM]]
    # awkward cases: an empty cart with no customer, an unknown item, an unknown customer
    q = pd.concat([q, pd.DataFrame({"query_id": ["empty", "unknown_item", "unknown_customer"],
                                    S.CUSTOMER: [None, None, "NOBODY"]})], ignore_index=True)
    extra = pd.DataFrame({"query_id": ["unknown_item", "unknown_item", "unknown_customer"],
                          S.ITEM: ["NOT_AN_ITEM", train.items.ids[0], train.items.ids[1]]})
    cart = pd.concat([cart, extra], ignore_index=True)
    queries = Queries.from_frames(q, cart, train.items, train.customers)
    return ContractData(syn, train, queries, test_lines)


def carts_as_sets(queries: Queries) -> list[set[int]]:
    return [set(c.tolist()) for c in queries.cart_lists()]


def assert_valid_output(ids: np.ndarray, scores: np.ndarray, n: int, k: int, n_items: int) -> None:
    assert ids.shape == (n, k) and scores.shape == (n, k)
    assert ids.dtype == np.int64 and scores.dtype == np.float64
    assert ((ids >= -1) & (ids < n_items)).all()
    pad = ids == -1
    assert np.isnan(scores[pad]).all(), "padding must carry NaN scores"
    assert np.isfinite(scores[~pad]).all(), "recommended items must have finite scores"
    for row_ids, row_pad in zip(ids, pad):
        real = row_ids[~row_pad]
        assert len(set(real.tolist())) == len(real), "an item is recommended twice in one list"
        # padding only at the end
        if row_pad.any():
            assert row_pad[np.argmax(row_pad):].all(), "padding must come after all real items"
    with np.errstate(invalid="ignore"):
        d = np.diff(np.where(pad, -np.inf, scores), axis=1)
    assert (d[~np.isnan(d)] <= 1e-9).all(), "scores must be non-increasing along each row"
