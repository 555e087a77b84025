"""Next-basket split and holdout (Li, Jullien, Ariannezhad, de Rijke, "A Next Basket
Recommendation Reality Check", ACM TOIS 2023): each customer's last basket is the test target;
everything the customer bought before it is what is known.

- Anonymous lines (no customer id) are dropped everywhere: they have no timeline, so there is no
  "before the test basket" for them (Li et al. drop them too).
- A customer is a query when they have at least ``min_baskets`` baskets, i.e. at least
  ``min_baskets - 1`` earlier baskets before the target (Li et al.: >= 3 baskets).
- ``drop_last`` = d first removes each customer's last d baskets: the data as it stood d baskets
  ago (a rolling origin in basket steps, not in calendar time).
- Caveat: cut-offs are per customer, so training holds other customers' baskets from after a given
  customer's test basket (a leak across customers that Li et al. accept). Per customer nothing at
  or after their own target basket reaches training.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cs_lab.data import schema as S
from cs_lab.data.splits.base import Split
from cs_lab.data.splits.holdout import QUERY, BasketCompletion
from cs_lab.errors import ConfigError, DataError, LeakageError


def customer_baskets(lines: pd.DataFrame) -> pd.DataFrame:
    """One row per identified customer's basket: customer_id, basket_id, timestamp (first line),
    ``order`` (0 = first basket of the customer) and ``from_end`` (0 = last). Ties in time are
    broken by basket id, so the order is deterministic."""
    b = (lines[[S.CUSTOMER, S.BASKET, S.TIMESTAMP]].dropna(subset=[S.CUSTOMER])
         .groupby([S.CUSTOMER, S.BASKET], observed=True)[S.TIMESTAMP].min().reset_index())
    b = b.sort_values([S.CUSTOMER, S.TIMESTAMP, S.BASKET], kind="stable").reset_index(drop=True)
    g = b.groupby(S.CUSTOMER, observed=True, sort=False)
    b["order"] = g.cumcount().to_numpy()
    b["from_end"] = (g[S.BASKET].transform("size").to_numpy() - 1 - b["order"].to_numpy())
    return b


def next_basket_split(lines: pd.DataFrame, *, min_baskets: int = 3, drop_last: int = 0) -> Split:
    """Train = every identified basket before each customer's target; test = the target (last
    remaining) basket of every customer with >= ``min_baskets`` baskets. See the module docstring."""
    if min_baskets < 2:
        raise ConfigError(f"task.min_baskets must be >= 2 (a history basket and a target), got {min_baskets}")
    if drop_last < 0:
        raise ConfigError(f"drop_last must be >= 0, got {drop_last}")
    if lines[S.CUSTOMER].isna().all():
        raise DataError("this dataset has no customer ids, so next-basket prediction is impossible",
                        column=S.CUSTOMER, hint="use task.kind: basket_completion")
    if lines[S.TIMESTAMP].isna().all():
        raise DataError("this dataset has no timestamps, so no customer's baskets can be ordered",
                        column=S.TIMESTAMP, hint="use task.kind: basket_completion")
    b = customer_baskets(lines)
    kept = b[b["from_end"] >= drop_last].copy()
    kept["from_end"] -= drop_last
    n = kept.groupby(S.CUSTOMER, observed=True)[S.BASKET].transform("size").to_numpy()
    target = kept[(kept["from_end"].to_numpy() == 0) & (n >= min_baskets)]
    anonymous = lines[S.CUSTOMER].isna().to_numpy()
    in_kept = lines[S.BASKET].isin(kept[S.BASKET]).to_numpy() & ~anonymous
    is_test = lines[S.BASKET].isin(target[S.BASKET]).to_numpy() & in_kept
    # each customer's cut: the start of the first basket not in training (target or dropped)
    cut = b[(b["from_end"] < drop_last) | b[S.BASKET].isin(target[S.BASKET])] \
        .groupby(S.CUSTOMER, observed=True)[S.TIMESTAMP].min()
    split = Split("next_basket", lines[in_kept & ~is_test].reset_index(drop=True),
                  lines[is_test].reset_index(drop=True), {"min_baskets": min_baskets, "drop_last": drop_last},
                  dropped={"anonymous_lines": int(anonymous.sum()),
                           "later_basket_lines": int((~in_kept & ~anonymous).sum()),
                           "customers_too_few_baskets": int(kept.loc[n < min_baskets, S.CUSTOMER].nunique())},
                  customer_cutoffs=cut)
    split.check_no_leakage()
    check_customer_cutoffs(split)
    return split


def check_customer_cutoffs(split: Split) -> None:
    """Raise LeakageError when a training line of a customer starts at or after that customer's cut
    (the start of their target basket), other than through an exact tie in time; or when a test
    basket is anonymous or a customer has two test baskets."""
    if split.test[S.CUSTOMER].isna().any():
        raise LeakageError("an anonymous basket is a next-basket test target")
    per = split.test.groupby(S.CUSTOMER, observed=True)[S.BASKET].nunique()
    if (per > 1).any():
        raise LeakageError(f"{int((per > 1).sum())} customer(s) have more than one test basket")
    cut = split.customer_cutoffs
    if cut is None or split.train.empty:
        return
    tr = split.train.groupby(S.BASKET, observed=True).agg(c=(S.CUSTOMER, "first"), t=(S.TIMESTAMP, "min"))
    c = cut.reindex(tr["c"].to_numpy()).to_numpy()
    ok = ~pd.isna(c)
    late = int((tr["t"].to_numpy()[ok] > c[ok]).sum())
    if late:
        raise LeakageError(f"{late} training basket(s) start after their customer's target basket")


def next_basket_holdout(test: pd.DataFrame, history: pd.DataFrame | None = None,
                        params: dict | None = None) -> BasketCompletion:
    """Queries = the test baskets' customers with EMPTY carts; truth = every distinct item of the
    target basket (quantity and value summed, unit price the median). ``history`` (the training
    lines) gives each query's number of earlier baskets (column n_history_baskets)."""
    items = (test.groupby([S.BASKET, S.ITEM], observed=True, sort=True)
             .agg(**{S.QUANTITY: (S.QUANTITY, "sum"), S.UNIT_PRICE: (S.UNIT_PRICE, "median"),
                     S.VALUE: (S.VALUE, "sum"), S.CUSTOMER: (S.CUSTOMER, "first"),
                     S.TIMESTAMP: (S.TIMESTAMP, "min")})
             .reset_index())
    items[QUERY] = items[S.BASKET].astype(str)
    first = items.drop_duplicates(QUERY)
    queries = pd.DataFrame({QUERY: first[QUERY].to_numpy(), S.CUSTOMER: first[S.CUSTOMER].to_numpy(),
                            S.BASKET: first[S.BASKET].to_numpy(), S.TIMESTAMP: first[S.TIMESTAMP].to_numpy()})
    queries["cart_size"] = np.zeros(len(queries), dtype=np.int64)
    queries["n_hidden"] = queries[QUERY].map(items[QUERY].value_counts()).astype("int64").to_numpy()
    if history is not None:
        nb = history.dropna(subset=[S.CUSTOMER]).groupby(S.CUSTOMER, observed=True)[S.BASKET].nunique()
        queries["n_history_baskets"] = nb.reindex(queries[S.CUSTOMER].to_numpy()).fillna(0).astype("int64").to_numpy()
    cart = pd.DataFrame({QUERY: pd.Series([], dtype=object), S.ITEM: pd.Series([], dtype=object)})
    truth = items[[QUERY, S.ITEM, S.QUANTITY, S.UNIT_PRICE, S.VALUE]].reset_index(drop=True)
    return BasketCompletion(queries, cart, truth, {"task": "next_basket", **(params or {}),
                                                   "max_queries": None})
