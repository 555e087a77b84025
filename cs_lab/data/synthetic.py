"""A synthetic retailer for fast tests: customers, categories, prices, costs, planted
complementary pairs, timestamps, returns and a few behavioural segments.

The planted structure is known, so tests can check that models find it:
``SyntheticData.pairs`` lists (a, b) item ids where buying a makes b likely in the same basket.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from cs_lab.data import schema as S
from cs_lab.data.cleaning import CleaningReport
from cs_lab.data.dataset import Dataset, build_catalog


@dataclass
class SyntheticData:
    dataset: Dataset
    pairs: list[tuple[str, str]]
    segments: pd.Series  # customer_id -> segment name


def generate(n_customers: int = 300, n_items: int = 120, n_baskets: int = 3000, n_categories: int = 6,
             n_pairs: int = 15, pair_prob: float = 0.7, anonymous_share: float = 0.1,
             days: int = 120, seed: int = 0) -> SyntheticData:
    """Generate a small retail dataset in canonical form (deterministic given ``seed``)."""
    rng = np.random.default_rng(seed)
    item_ids = np.array([f"I{i:04d}" for i in range(n_items)])
    cat1 = rng.integers(0, n_categories, n_items)
    cat2 = cat1 * 3 + rng.integers(0, 3, n_items)
    price = np.round(np.exp(rng.normal(1.5, 0.8, n_items)), 2) + 0.5
    cost = np.round(price * rng.uniform(0.4, 0.85, n_items), 2)
    pop = rng.zipf(1.6, n_items).astype(float)
    pop = np.minimum(pop, 50) / np.minimum(pop, 50).sum()
    # complementary pairs: a -> b
    a = rng.choice(n_items, n_pairs, replace=False)
    b = (a + 1 + rng.integers(0, n_items - 1, n_pairs)) % n_items
    partner = dict(zip(a.tolist(), b.tolist()))
    cust_ids = np.array([f"C{i:05d}" for i in range(n_customers)])
    seg = rng.choice(["regular", "heavy_returner", "discount_only"], n_customers, p=[0.8, 0.1, 0.1])
    taste = rng.integers(0, n_categories, n_customers)  # favourite category
    start = np.datetime64("2024-01-01T08:00:00")
    rows = []
    for bk in range(n_baskets):
        anon = rng.random() < anonymous_share
        c = rng.integers(0, n_customers)
        size = 1 + rng.poisson(2.5)
        w = pop * np.where(cat1 == taste[c], 3.0, 1.0)
        chosen = list(rng.choice(n_items, size, replace=False, p=w / w.sum()))
        for it in list(chosen):
            if it in partner and rng.random() < pair_prob and partner[it] not in chosen:
                chosen.append(partner[it])
        t = start + np.timedelta64(int(bk / n_baskets * days * 86400 + rng.integers(0, 3600)), "s")
        for it in chosen:
            q = float(1 + rng.poisson(0.5))
            rows.append((None if anon else cust_ids[c], f"B{bk:06d}", item_ids[it], t, q, price[it], cost[it],
                         f"D{cat1[it]}", f"D{cat1[it]}-{cat2[it]}"))
    df = pd.DataFrame(rows, columns=[S.CUSTOMER, S.BASKET, S.ITEM, S.TIMESTAMP, S.QUANTITY, S.UNIT_PRICE,
                                     S.UNIT_COST, "category_1", "category_2"])
    df[S.VALUE] = df[S.QUANTITY] * df[S.UNIT_PRICE]
    lines = S.conform_lines(df, source="synthetic")
    lines = lines.sort_values([S.TIMESTAMP, S.BASKET, S.ITEM], kind="stable").reset_index(drop=True)
    # returns: heavy returners send back 40% of lines, others 2%
    seg_of = pd.Series(seg, index=cust_ids)
    rate = lines[S.CUSTOMER].map(seg_of).map({"heavy_returner": 0.4}).astype("float64").fillna(0.02).to_numpy()
    ret = lines[rng.random(len(lines)) < rate].copy()
    ret[S.TIMESTAMP] = ret[S.TIMESTAMP] + pd.Timedelta(days=3)
    ret["reason"] = "return"
    returns = S.conform_returns(ret[list(S.RETURN_COLUMNS)], source="synthetic")
    desc = pd.Series([f"item {i} of dept {cat1[k]}" for k, i in enumerate(item_ids)], index=item_ids)
    catalog = build_catalog(lines, desc)
    ds = Dataset(name="synthetic", lines=lines, catalog=catalog, returns=returns,
                 report=CleaningReport(raw_rows=len(lines)), source_sha256={"seed": str(seed)})
    pairs = [(str(item_ids[x]), str(item_ids[y])) for x, y in partner.items()]
    return SyntheticData(dataset=ds, pairs=pairs, segments=seg_of)
