"""Item-level side information for beyond-accuracy and business metrics."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields

import numpy as np
import pandas as pd

from cs_lab.errors import DataError


@dataclass(frozen=True)
class Catalog:
    """Arrays aligned to item indices (entry i describes item i); every field is optional.

    popularity : training interaction counts per item (e.g. baskets containing it).
    price      : unit price; NaN = unknown (contributes 0 revenue and 0 margin).
    quantity   : typical quantity bought per line; None or NaN = 1 unit.
    cost       : unit cost; NaN = unknown (contributes 0 margin).
    category   : integer category code per item; -1 = unknown category.
    popularity_total : denominator of the popularity share used by novelty;
        default ``popularity.sum()``. Pass the number of training baskets to get
        "share of baskets containing the item".
    """

    popularity: np.ndarray | None = None
    price: np.ndarray | None = None
    quantity: np.ndarray | None = None
    cost: np.ndarray | None = None
    category: np.ndarray | None = None
    popularity_total: float | None = None

    def __post_init__(self) -> None:
        sizes = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if value is None or f.name == "popularity_total":
                continue
            dtype = np.int64 if f.name == "category" else np.float64
            arr = np.asarray(value)
            if arr.ndim != 1:
                raise DataError(f"catalog.{f.name} must be 1-D, got shape {arr.shape}")
            if f.name == "category" and not np.issubdtype(arr.dtype, np.integer):
                raise DataError("catalog.category must hold integer codes (-1 = unknown)",
                                hint="use pandas.factorize on category labels")
            arr = arr.astype(dtype)
            arr.setflags(write=False)
            object.__setattr__(self, f.name, arr)
            sizes[f.name] = arr.size
        if len(set(sizes.values())) > 1:
            raise DataError(f"catalog arrays have different lengths: {sizes}")
        if self.popularity is not None and (self.popularity < 0).any():
            raise DataError("catalog.popularity must be >= 0")

    @property
    def n_items(self) -> int | None:
        """Number of items the arrays describe, or None for an empty catalog."""
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, np.ndarray):
                return int(value.size)
        return None

    def has(self, name: str) -> bool:
        """Whether field ``name`` was given."""
        return getattr(self, name) is not None

    @classmethod
    def from_table(cls, table: pd.DataFrame, item_ids: Sequence, *, item_col: str = "item_id",
                   popularity: str | None = None, price: str | None = None,
                   quantity: str | None = None, cost: str | None = None,
                   category: str | None = None, popularity_total: float | None = None) -> Catalog:
        """Align columns of a one-row-per-item table to ``item_ids`` (the evaluation's item order).

        Items absent from the table get NaN price/cost/quantity, popularity 0 and
        category -1. Category labels of any type are factorised to codes.
        """
        if item_col not in table.columns:
            raise DataError("catalog table has no item id column", column=item_col)
        if table[item_col].duplicated().any():
            raise DataError("catalog table lists an item more than once", column=item_col)
        index = pd.Index(table[item_col].astype(str))
        pos = index.get_indexer(pd.Index(np.asarray(item_ids).astype(str)))
        found = pos >= 0

        def column(name: str | None, fill: float) -> np.ndarray | None:
            if name is None:
                return None
            if name not in table.columns:
                raise DataError("catalog table has no such column", column=name)
            values = pd.to_numeric(table[name], errors="coerce").to_numpy(dtype=np.float64)
            out = np.full(pos.size, fill)
            out[found] = values[pos[found]]
            return out

        codes = None
        if category is not None:
            if category not in table.columns:
                raise DataError("catalog table has no such column", column=category)
            labels, _ = pd.factorize(table[category], use_na_sentinel=True)
            codes = np.full(pos.size, -1, dtype=np.int64)
            codes[found] = labels[pos[found]]
        pop = column(popularity, 0.0)
        return cls(popularity=None if pop is None else np.nan_to_num(pop),
                   price=column(price, np.nan), quantity=column(quantity, np.nan),
                   cost=column(cost, np.nan), category=codes, popularity_total=popularity_total)
