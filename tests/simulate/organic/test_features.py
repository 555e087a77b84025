"""The vectorised organic features equal a plain pandas implementation (written separately, below)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from cs_lab.data import schema as S
from cs_lab.simulate.organic import HistoryStats, features
from tests.simulate.organic._history import by_weeks, habit_lines

DAY = np.timedelta64(1, "D")


def reference_features(history: pd.DataFrame, customers, items, times) -> np.ndarray:
    h = history.drop_duplicates([S.BASKET, S.ITEM])
    n_baskets = history[S.BASKET].nunique()
    item_b = h.groupby(S.ITEM).size()
    cust_b = history.groupby(S.CUSTOMER)[S.BASKET].nunique()
    bt = history.groupby(S.BASKET)[S.TIMESTAMP].min()
    h = h.assign(bt=h[S.BASKET].map(bt))
    g = h.groupby([S.CUSTOMER, S.ITEM])["bt"]
    pairs = pd.DataFrame({"count": g.size(), "first": g.min(), "last": g.max()})
    out = []
    for c, i, t in zip(customers, items, pd.to_datetime(pd.Series(times))):
        key = (c, i)
        cb = float(cust_b.get(c, 0.0)) if c is not None else 0.0
        ib = float(item_b.get(i, 0.0))
        if c is not None and key in pairs.index:
            cnt, first, last = pairs.loc[key]
            days = max((t - last) / pd.Timedelta(days=1), 0.0)
            cyc = np.log1p(days / max((last - first) / pd.Timedelta(days=1) / (cnt - 1), 1.0)) if cnt >= 2 else 0.0
            out.append([1.0, cnt / cb, np.log1p(cnt), np.log1p(days), cyc])
        else:
            out.append([0.0, 0.0, 0.0, 0.0, 0.0])
        out[-1] += [np.log((ib + 1) / (n_baskets + len(item_b))), np.log1p(cb)]
    return np.array(out)


def test_features_equal_a_plain_pandas_reference():
    lines = habit_lines(n_customers=60, n_items=50, weeks=6, seed=9)
    anon = lines[S.BASKET].isin(set(lines[S.BASKET].iloc[:40]))
    lines.loc[anon, S.CUSTOMER] = None                          # some anonymous baskets
    hist = by_weeks(lines, 0, 5)
    rng = np.random.default_rng(0)
    custs = [f"C{k}" for k in rng.integers(0, 70, 400)] + [None] * 5   # includes unknown customers
    items = [f"I{k}" for k in rng.integers(0, 60, 405)]                 # includes unknown items
    times = np.full(405, np.datetime64("2024-02-08T10:00"))
    got = features(HistoryStats(hist), custs, items, times)
    want = reference_features(hist, custs, items, times)
    np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-9)
    assert got[:, 0].sum() > 50            # enough repeat pairs to mean something
