"""Synthetic purchase histories with habits: each customer buys 3 habitual items on most visits and
random other items now and then (vectorised, seeded)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from cs_lab.data import schema as S


def habit_lines(n_customers: int = 300, n_items: int = 200, weeks: int = 12, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    habits = rng.integers(0, n_items, (n_customers, 3))
    rows = []
    for w in range(weeks):
        for c in range(n_customers):
            items = set(habits[c][rng.random(3) < 0.7].tolist())
            items |= set(rng.integers(0, n_items, rng.poisson(2.0)).tolist())
            for i in items:
                rows.append((f"C{c}", f"B{w}_{c}", f"I{i}", pd.Timestamp("2024-01-01") + pd.Timedelta(weeks=w)
                             + pd.Timedelta(hours=int(c % 24))))
    df = pd.DataFrame(rows, columns=[S.CUSTOMER, S.BASKET, S.ITEM, S.TIMESTAMP])
    df[S.QUANTITY], df[S.UNIT_PRICE] = 1.0, 2.0
    df[S.VALUE] = 2.0
    return df


def by_weeks(df: pd.DataFrame, lo: int, hi: int) -> pd.DataFrame:
    w = (df[S.TIMESTAMP] - pd.Timestamp("2024-01-01")).dt.days // 7
    return df[(w >= lo) & (w < hi)].reset_index(drop=True)
