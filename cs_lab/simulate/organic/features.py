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
    """Per (customer, item), per customer and per item basket counts of a history table (baskets, not
    lines), computed on integer codes (one factorisation per column)."""

    def __init__(self, history: pd.DataFrame) -> None:
        missing = [c for c in (S.CUSTOMER, S.BASKET, S.ITEM, S.TIMESTAMP) if c not in history.columns]
        if missing:
            raise DataError(f"organic model: history lines are missing column(s) {missing}",
                            hint="pass canonical purchase lines (cs_lab.data.schema)")
        cust = history[S.CUSTOMER]
        ccode, cuniq = pd.factorize(cust.astype("string").to_numpy(dtype=object, na_value=None))
        icode, iuniq = pd.factorize(history[S.ITEM].astype("string").to_numpy(dtype=object))
        bcode, _ = pd.factorize(history[S.BASKET].astype("string").to_numpy(dtype=object))
        t = history[S.TIMESTAMP].to_numpy(dtype="datetime64[ns]").astype(np.int64)
        n_i, n_b = max(len(iuniq), 1), int(bcode.max()) + 1 if len(bcode) else 0
        self.items = pd.Index(iuniq, dtype=object)
        self.customers = pd.Index(cuniq, dtype=object)
        self.n_baskets = n_b
        self.n_items = n_i
        # one row per (basket, item): the basket's customer and time
        b_time = np.full(n_b, np.iinfo(np.int64).max)
        np.minimum.at(b_time, bcode, t)
        b_cust = np.full(n_b, -1, np.int64)
        b_cust[bcode] = ccode
        bi = np.sort(pd.unique(bcode.astype(np.int64) * n_i + icode))   # pandas' hash: much faster here
        b, i = bi // n_i, bi % n_i
        self.item_baskets = np.bincount(i, minlength=n_i).astype(np.float64)
        known = b_cust[b] >= 0
        b, i = b[known], i[known]
        c = b_cust[b]
        n_c = len(cuniq)
        self.cust_baskets = np.bincount(b_cust[b_cust >= 0], minlength=n_c).astype(np.float64)
        key = c * n_i + i
        inv, self.pair_keys = pd.factorize(key, sort=True)
        self.pair_count = np.bincount(inv).astype(np.float64)
        self.pair_first = np.full(len(self.pair_keys), np.iinfo(np.int64).max)
        self.pair_last = np.full(len(self.pair_keys), np.iinfo(np.int64).min)
        np.minimum.at(self.pair_first, inv, b_time[b])
        np.maximum.at(self.pair_last, inv, b_time[b])

    def customer_items(self) -> pd.DataFrame:
        """(c, i) pairs of the history (customer and item ids)."""
        return pd.DataFrame({"c": self.customers.to_numpy()[self.pair_keys // self.n_items],
                             "i": self.items.to_numpy()[self.pair_keys % self.n_items]})

    def lookup(self, customers, items) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(customer code or -1, item code or -1, pair row or -1) of query ids."""
        c = self.customers.get_indexer(pd.Index(customers, dtype=object))
        i = self.items.get_indexer(pd.Index(items, dtype=object))
        key = np.where((c >= 0) & (i >= 0), c.astype(np.int64) * self.n_items + i, -1)
        pos = np.searchsorted(self.pair_keys, key)
        pos = np.minimum(pos, max(len(self.pair_keys) - 1, 0))
        hit = (key >= 0) & (len(self.pair_keys) > 0) & (self.pair_keys[pos] == key if len(self.pair_keys) else False)
        return c, i, np.where(hit, pos, -1)


def features(stats: HistoryStats, customers, items, times) -> np.ndarray:
    """(n, len(FEATURES)) float64 features of the queries (customer may be None/NA = anonymous)."""
    cust = pd.Series(np.asarray(customers, dtype=object)).astype("string").to_numpy(dtype=object, na_value=None)
    it = pd.Series(np.asarray(items, dtype=object)).astype(str).to_numpy(dtype=object)
    t = pd.to_datetime(pd.Series(times)).to_numpy(dtype="datetime64[ns]").astype(np.int64)
    c, i, row = stats.lookup(cust, it)
    hit = row >= 0
    r = np.maximum(row, 0)
    day = float(DAY / np.timedelta64(1, "ns"))
    count = np.where(hit, stats.pair_count[r] if len(stats.pair_keys) else 0.0, 0.0)
    last = stats.pair_last[r] if len(stats.pair_keys) else np.zeros(len(t), np.int64)
    first = stats.pair_first[r] if len(stats.pair_keys) else last
    cb = np.where(c >= 0, stats.cust_baskets[np.maximum(c, 0)] if len(stats.cust_baskets) else 0.0, 0.0)
    ib = np.where(i >= 0, stats.item_baskets[np.maximum(i, 0)], 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        days = np.where(hit, np.maximum((t - last) / day, 0.0), 0.0)
        interval = np.where(count >= 2, (last - first) / day / np.maximum(count - 1, 1), 0.0)
        cycle = np.where(count >= 2, np.log1p(days / np.maximum(interval, 1.0)), 0.0)
        share = np.where(cb > 0, count / np.maximum(cb, 1), 0.0)
    return np.column_stack([
        hit.astype(np.float64), share, np.log1p(count), np.where(hit, np.log1p(days), 0.0), cycle,
        np.log((ib + 1.0) / (stats.n_baskets + stats.n_items)), np.log1p(cb)])
