"""Hand-made training data for the bundle tests: baskets of named items with prices, costs and categories."""

import numpy as np
import pandas as pd

from cs_lab.data import schema as S
from cs_lab.data.interactions import Interactions


def interactions(baskets: list[list[str]], price: dict[str, float], cost: dict[str, float] | None = None,
                 category: dict[str, str] | None = None) -> Interactions:
    rows = [(f"c{b % 7}", f"b{b}", item) for b, items in enumerate(baskets) for item in items]
    lines = pd.DataFrame(rows, columns=[S.CUSTOMER, S.BASKET, S.ITEM])
    lines[S.TIMESTAMP] = pd.Timestamp("2024-01-01") + pd.to_timedelta(
        lines[S.BASKET].str[1:].astype(int), unit="h")
    lines[S.QUANTITY] = 1.0
    lines[S.UNIT_PRICE] = lines[S.ITEM].map(price).astype(float)
    lines[S.VALUE] = lines[S.UNIT_PRICE]
    if cost is not None:
        lines[S.UNIT_COST] = lines[S.ITEM].map(cost).astype(float)
    if category is not None:
        lines["category_1"] = lines[S.ITEM].map(category)
    return Interactions.from_lines(S.conform_lines(lines))


def triple_baskets(seed: int = 0) -> tuple[list[list[str]], dict[str, float], dict[str, str]]:
    """400 baskets over 20 items: the complementary triple A, B, C (three categories) bought together
    in 40 of them, the substitutes D and E (one category) bought together in 60, the rest random."""
    rng = np.random.default_rng(seed)
    noise = [f"n{i}" for i in range(15)]
    baskets = []
    for b in range(400):
        items = set(rng.choice(noise, size=rng.integers(1, 4), replace=False).tolist())
        if b % 10 == 0:
            items |= {"A", "B", "C"}
        elif b % 10 == 1:
            items.add(["A", "B", "C"][b % 3])           # each also sold alone now and then
        if b % 20 in (2, 3, 4):
            items |= {"D", "E"}
        baskets.append(sorted(items))
    names = ["A", "B", "C", "D", "E", *noise]
    price = {n: 5.0 + i for i, n in enumerate(names)}
    category = {"A": "food", "B": "drink", "C": "napkins", "D": "cups", "E": "cups",
                **{n: f"cat{i % 5}" for i, n in enumerate(noise)}}
    return baskets, price, category
