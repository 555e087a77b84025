"""Per-customer leave-last-basket: each customer's last basket is test, the rest train.

Caveat (documented in docs/data.md): unlike a global temporal split, training can contain
other customers' baskets from after a given customer's test basket. The check here is per
customer: no customer's training basket is later than their own test basket.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cs_lab.data import schema as S
from cs_lab.data.splits.base import Split
from cs_lab.errors import DataError, LeakageError


def leave_last_basket(lines: pd.DataFrame, *, min_baskets: int = 2) -> Split:
    """Customers with at least ``min_baskets`` baskets give their last one to test. Anonymous
    baskets and customers with fewer baskets stay in training."""
    if lines[S.CUSTOMER].isna().all():
        raise DataError("this dataset has no customer ids, so leave-last-basket is impossible",
                        column=S.CUSTOMER, hint="use a temporal or random basket split")
    b = (lines[[S.CUSTOMER, S.BASKET, S.TIMESTAMP]].dropna(subset=[S.CUSTOMER])
         .groupby([S.CUSTOMER, S.BASKET], observed=True)[S.TIMESTAMP].min().reset_index())
    b = b.sort_values([S.CUSTOMER, S.TIMESTAMP, S.BASKET], kind="stable")
    n = b.groupby(S.CUSTOMER, observed=True)[S.BASKET].transform("size")
    last = b.groupby(S.CUSTOMER, observed=True).tail(1)
    last = last[n.loc[last.index] >= min_baskets]
    is_test = lines[S.BASKET].isin(last[S.BASKET]).to_numpy()
    split = Split("leave_last_basket", lines[~is_test].reset_index(drop=True),
                  lines[is_test].reset_index(drop=True), {"min_baskets": min_baskets})
    split.check_no_leakage()
    _check_per_customer(split)
    return split


def _check_per_customer(split: Split) -> None:
    tr = split.train.dropna(subset=[S.CUSTOMER]).groupby(S.CUSTOMER, observed=True)[S.TIMESTAMP].max()
    te = split.test.groupby(S.CUSTOMER, observed=True)[S.TIMESTAMP].min()
    both = tr.index.intersection(te.index)
    late = np.flatnonzero(tr.loc[both].to_numpy() > te.loc[both].to_numpy())
    if len(late):
        raise LeakageError(f"{len(late)} customer(s) have training lines after their test basket")
