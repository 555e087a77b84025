"""Features of P(customer c buys item i on a visit at time t without an offer), from c's history.

Every feature is computed from ``history`` lines strictly before the visit (the caller passes the
history of the period before the visits: the training lines for validation visits, the training +
validation lines for test visits). One row per (customer, item, time) query:

    repeat          1 if c bought i before, else 0
    share           share of c's history baskets that contain i (regularity; 0 for new items)
    log_count       log(1 + number of c's baskets with i)
    log_days_since  repeat * log(1 + days since c last bought i)
    log_cycle       log(1 + days since last purchase / c's mean interval between purchases of i)
                    (items bought at least twice; 0 otherwise: "is it due?")
    log_item_pop    log of the share of all history baskets that contain i (smoothed)
    log_baskets     log(1 + number of c's history baskets)
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cs_lab.data import schema as S
from cs_lab.errors import DataError

FEATURES = ("repeat", "share", "log_count", "log_days_since", "log_cycle", "log_item_pop", "log_baskets")
DAY = np.timedelta64(1, "D")


class HistoryStats:
    """Per (customer, item), per customer and per item counts of a history table (baskets, not lines)."""

    def __init__(self, history: pd.DataFrame) -> None:
        missing = [c for c in (S.CUSTOMER, S.BASKET, S.ITEM, S.TIMESTAMP) if c not in history.columns]
        if missing:
            raise DataError(f"organic model: history lines are missing column(s) {missing}",
                            hint="pass canonical purchase lines (cs_lab.data.schema)")
        h = history[[S.CUSTOMER, S.BASKET, S.ITEM, S.TIMESTAMP]]
        self.n_baskets = int(h[S.BASKET].nunique())
        bi = h.drop_duplicates([S.BASKET, S.ITEM])
        self.item_baskets = bi.groupby(bi[S.ITEM].astype(str), observed=True).size()
        known = h[h[S.CUSTOMER].notna()]
        kb = known.drop_duplicates([S.BASKET, S.ITEM])
        self.cust_baskets = known.groupby(known[S.CUSTOMER].astype(str), observed=True)[S.BASKET].nunique()
        ci = kb.groupby([kb[S.CUSTOMER].astype(str), kb[S.ITEM].astype(str)], observed=True)[S.TIMESTAMP]
        self.pairs = pd.DataFrame({"count": ci.size(), "first": ci.min(), "last": ci.max()})
        self.pairs.index = self.pairs.index.set_names(["c", "i"])
        self.n_items = max(int(len(self.item_baskets)), 1)

    def customer_items(self) -> pd.DataFrame:
        """(c, i) pairs of the history with their count."""
        return self.pairs.reset_index()[["c", "i"]]


def features(stats: HistoryStats, customers, items, times) -> np.ndarray:
    """(n, len(FEATURES)) float64 features of the queries (customer may be None/NA = anonymous)."""
    c = pd.Series(np.asarray(customers, dtype=object)).astype("string").fillna("\x00anon").astype(str).to_numpy()
    i = pd.Series(np.asarray(items, dtype=object)).astype(str).to_numpy()
    t = pd.to_datetime(pd.Series(times)).to_numpy(dtype="datetime64[ns]")
    n = len(c)
    key = pd.MultiIndex.from_arrays([c, i])
    pos = stats.pairs.index.get_indexer(key)
    hit = pos >= 0
    p = np.maximum(pos, 0)
    count = np.where(hit, stats.pairs["count"].to_numpy(dtype=np.float64)[p] if len(stats.pairs) else 0.0, 0.0)
    last = stats.pairs["last"].to_numpy(dtype="datetime64[ns]")[p] if len(stats.pairs) else np.zeros(n, "datetime64[ns]")
    first = stats.pairs["first"].to_numpy(dtype="datetime64[ns]")[p] if len(stats.pairs) else last
    cb = pd.Series(c).map(stats.cust_baskets).fillna(0.0).to_numpy(dtype=np.float64)
    ib = pd.Series(i).map(stats.item_baskets).fillna(0.0).to_numpy(dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        days = np.where(hit, (t - last) / DAY, 0.0)
        days = np.nan_to_num(np.maximum(days, 0.0))
        interval = np.where(count >= 2, (last - first) / DAY / np.maximum(count - 1, 1), np.nan)
        cycle = np.where(count >= 2, np.log1p(days / np.maximum(np.nan_to_num(interval), 1.0)), 0.0)
        share = np.where(cb > 0, count / np.maximum(cb, 1), 0.0)
    X = np.column_stack([
        hit.astype(np.float64), share, np.log1p(count), np.where(hit, np.log1p(days), 0.0), cycle,
        np.log((ib + 1.0) / (stats.n_baskets + stats.n_items)), np.log1p(cb)])
    return X
