"""Queries: carts (and customers when known) in a model's index space."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp

from cs_lab.data import schema as S
from cs_lab.data.vocab import Vocabulary


@dataclass
class Queries:
    """A batch of recommendation requests.

    ids        (n,) query ids (external, any type)
    carts      CSR (n, n_items): 1.0 for each item in the cart (items unknown to the vocabulary dropped)
    customers  (n,) customer index, -1 when anonymous or unknown
    n_unknown_items  cart items dropped because the model's vocabulary does not know them
    """

    ids: np.ndarray
    carts: sp.csr_matrix
    customers: np.ndarray
    n_unknown_items: int = 0

    def __len__(self) -> int:
        return len(self.ids)

    def __getitem__(self, sl: slice) -> "Queries":
        return Queries(self.ids[sl], self.carts[sl], self.customers[sl], 0)

    @property
    def n_items(self) -> int:
        return self.carts.shape[1]

    def cart_lists(self) -> list[np.ndarray]:
        c = self.carts
        return [c.indices[c.indptr[i]:c.indptr[i + 1]] for i in range(c.shape[0])]

    @classmethod
    def from_lists(cls, carts: list, n_items: int, customers=None, ids=None) -> "Queries":
        """From lists of item indices (ints already in the vocabulary)."""
        n = len(carts)
        sizes = np.fromiter((len(c) for c in carts), dtype=np.int64, count=n)
        cols = np.concatenate([np.asarray(c, dtype=np.int64) for c in carts]) if n and sizes.sum() else np.zeros(0, np.int64)
        rows = np.repeat(np.arange(n), sizes)
        ok = (cols >= 0) & (cols < n_items)
        m = sp.csr_matrix((np.ones(int(ok.sum()), np.float32), (rows[ok], cols[ok])), shape=(n, n_items))
        m.sum_duplicates()
        m.data[:] = 1.0
        cust = np.full(n, -1, np.int64) if customers is None else np.asarray(customers, dtype=np.int64)
        qids = np.arange(n) if ids is None else np.asarray(ids)
        return cls(qids, m, cust, int((~ok).sum()))

    @classmethod
    def from_frames(cls, queries: pd.DataFrame, cart: pd.DataFrame, items: Vocabulary,
                    customers: Vocabulary | None = None) -> "Queries":
        """From a queries table (query_id, customer_id) and a cart table (query_id, item_id)."""
        qids = queries["query_id"].to_numpy()
        pos = pd.Index(qids).get_indexer(cart["query_id"].to_numpy())
        it = items.index(cart[S.ITEM].to_numpy())
        ok = (it >= 0) & (pos >= 0)
        m = sp.csr_matrix((np.ones(int(ok.sum()), np.float32), (pos[ok], it[ok])), shape=(len(qids), len(items)))
        m.sum_duplicates()
        m.data[:] = 1.0
        if customers is not None and S.CUSTOMER in queries.columns:
            cust = customers.index(queries[S.CUSTOMER].to_numpy())
        else:
            cust = np.full(len(qids), -1, np.int64)
        return cls(qids, m, cust, int((it < 0).sum()))
