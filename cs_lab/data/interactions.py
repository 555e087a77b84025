"""Training data in the form models use: vocabularies plus sparse matrices and item side data."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import scipy.sparse as sp

from cs_lab.data import schema as S
from cs_lab.data.vocab import Vocabulary


@dataclass
class Interactions:
    """Purchase history indexed for models.

    items, customers    vocabularies (customers excludes anonymous baskets)
    basket_items        CSR (n_baskets, n_items), 1.0 where the basket holds the item
    basket_customer     (n_baskets,) customer index, -1 for anonymous baskets
    basket_time         (n_baskets,) datetime64[ns] (NaT when the data has no time)
    customer_items      CSR (n_customers, n_items): number of baskets with the item
    item_price          (n_items,) median unit price (NaN unknown)
    item_cost           (n_items,) median unit cost (NaN unknown)
    item_quantity       (n_items,) median quantity per line
    item_categories     level name -> (n_items,) int codes, -1 unknown
    category_names      level name -> array of category labels (code -> label)
    lines               the canonical lines these were built from
    returns             canonical returns of the same period (None when unknown)
    """

    items: Vocabulary
    customers: Vocabulary
    basket_items: sp.csr_matrix
    basket_customer: np.ndarray
    basket_time: np.ndarray
    customer_items: sp.csr_matrix
    item_price: np.ndarray
    item_cost: np.ndarray
    item_quantity: np.ndarray
    item_categories: dict[str, np.ndarray] = field(default_factory=dict)
    category_names: dict[str, np.ndarray] = field(default_factory=dict)
    lines: pd.DataFrame | None = None
    returns: pd.DataFrame | None = None

    @property
    def n_items(self) -> int:
        return len(self.items)

    @property
    def n_customers(self) -> int:
        return len(self.customers)

    @property
    def n_baskets(self) -> int:
        return self.basket_items.shape[0]

    def item_popularity(self) -> np.ndarray:
        """Number of baskets containing each item."""
        return np.asarray(self.basket_items.sum(axis=0)).ravel()

    @classmethod
    def from_lines(cls, lines: pd.DataFrame, items: Vocabulary | None = None,
                   customers: Vocabulary | None = None, returns: pd.DataFrame | None = None
                   ) -> "Interactions":
        """Build from canonical lines. Vocabularies default to the ids seen in ``lines``
        (items in order of first appearance after sorting by id)."""
        items = items or Vocabulary(np.sort(lines[S.ITEM].dropna().unique().astype(str)))
        if customers is None:
            cust = lines[S.CUSTOMER].dropna().unique().astype(str)
            customers = Vocabulary(np.sort(cust))
        item_idx = items.index(lines[S.ITEM])
        keep = item_idx >= 0
        b_all, b_uniques = pd.factorize(lines[S.BASKET], sort=False)
        b_codes, item_idx_k = b_all[keep], item_idx[keep]
        n_b, n_i = len(b_uniques), len(items)
        bi = sp.csr_matrix((np.ones(len(b_codes), dtype=np.float32), (b_codes, item_idx_k)), shape=(n_b, n_i))
        bi.sum_duplicates()
        bi.data[:] = 1.0
        # one customer and one time per basket: the basket's first line
        first = np.full(n_b, len(lines), dtype=np.int64)
        np.minimum.at(first, b_all, np.arange(len(lines)))
        basket_customer = customers.index(lines[S.CUSTOMER].iloc[first].reset_index(drop=True))
        basket_time = lines[S.TIMESTAMP].to_numpy()[first].astype("datetime64[ns]")
        known = basket_customer >= 0
        cb = sp.csr_matrix((np.ones(int(known.sum()), dtype=np.float32),
                            (basket_customer[known], np.arange(n_b)[known])), shape=(len(customers), n_b))
        ci = (cb @ bi).tocsr()
        ci.sort_indices()

        def per_item(col: str, how: str = "median") -> np.ndarray:
            if col not in lines.columns:
                return np.full(n_i, np.nan)
            s = pd.Series(lines[col].to_numpy(dtype="float64")[keep]).groupby(item_idx_k)
            out = np.full(n_i, np.nan)
            agg = getattr(s, how)()
            out[agg.index.to_numpy()] = agg.to_numpy()
            return out

        cats, names = {}, {}
        for c in S.category_columns(lines):
            lab_codes, labels = pd.factorize(lines[c], sort=True, use_na_sentinel=True)
            lc = lab_codes[keep]
            ok = lc >= 0
            # item x label line counts; the most frequent label per item (ties: the first label)
            counts = sp.csr_matrix((np.ones(int(ok.sum()), np.float32), (item_idx_k[ok], lc[ok])),
                                   shape=(n_i, max(len(labels), 1)))
            counts.sum_duplicates()
            counts.sort_indices()
            arr = _row_argmax(counts)
            cats[c], names[c] = arr, np.asarray(labels, dtype=object).astype(str)
        return cls(items=items, customers=customers, basket_items=bi, basket_customer=basket_customer,
                   basket_time=basket_time, customer_items=ci, item_price=per_item(S.UNIT_PRICE),
                   item_cost=per_item(S.UNIT_COST), item_quantity=per_item(S.QUANTITY),
                   item_categories=cats, category_names=names, lines=lines, returns=returns)


def _row_argmax(m: sp.csr_matrix) -> np.ndarray:
    """Column of each row's largest stored value (the lowest column among ties); -1 for empty rows.
    Vectorised (scipy's argmax loops over rows in Python)."""
    n = m.shape[0]
    lengths = np.diff(m.indptr)
    out = np.full(n, -1, dtype=np.int64)
    if m.nnz == 0:
        return out
    row_of = np.repeat(np.arange(n), lengths)
    rowmax = np.full(n, -np.inf)
    np.maximum.at(rowmax, row_of, m.data)
    is_max = m.data == rowmax[row_of]
    rows, cols = row_of[is_max], m.indices[is_max]
    _, first = np.unique(rows, return_index=True)   # indices are sorted within rows: first = lowest column
    out[rows[first]] = cols[first]
    return out
