"""Per-customer basket sequences, the shared input of the basket-research baselines.

A customer's training baskets in time order (ties and baskets without a time: order of first
appearance in the data), stored as one CSR of baskets grouped by customer plus an ``indptr`` over
customers. A model turns a sequence into a profile vector by giving each basket a weight that
depends only on the sequence length ``n`` and the basket's position from the end ``j`` (0 = the most
recent): ``profiles(customers, weight, carts)`` builds ``sum_j weight(n, j) * basket_j`` for a batch
of queries, with the query's cart (when not empty) taken as the customer's newest basket.

Everything is sparse-by-sparse products, so a query's profile does not depend on the other queries
of its batch (same numbers for any batch size).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import scipy.sparse as sp

from cs_lab.data.interactions import Interactions
from cs_lab.models.base import sparse_from_state, sparse_state

WeightFn = Callable[[np.ndarray, np.ndarray], np.ndarray]
"""weight(n, j): arrays of sequence lengths and positions from the end (0 = newest) -> weights."""


@dataclass
class BasketSequences:
    """baskets  CSR (n_known_baskets, n_items), rows grouped by customer, oldest first
    indptr   (n_customers + 1,) customer c owns rows indptr[c]:indptr[c+1]"""

    baskets: sp.csr_matrix
    indptr: np.ndarray

    @classmethod
    def from_interactions(cls, train: Interactions) -> "BasketSequences":
        cust = np.asarray(train.basket_customer, dtype=np.int64)
        known = np.flatnonzero(cust >= 0)
        t = np.asarray(train.basket_time).astype("datetime64[ns]").astype(np.int64)[known]
        # NaT is the smallest int64: baskets without a time sort first, then by order of appearance
        order = known[np.lexsort((known, t, cust[known]))]
        counts = np.bincount(cust[order], minlength=train.n_customers)
        indptr = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        b = sp.csr_matrix(train.basket_items[order], dtype=np.float64)
        b.sort_indices()
        return cls(b, indptr)

    @property
    def n_customers(self) -> int:
        return len(self.indptr) - 1

    @property
    def n_items(self) -> int:
        return self.baskets.shape[1]

    def lengths(self) -> np.ndarray:
        return np.diff(self.indptr)

    def profiles(self, customers: np.ndarray, weight: WeightFn, carts: sp.csr_matrix | None = None
                 ) -> sp.csr_matrix:
        """CSR (len(customers), n_items): sum over each customer's baskets of weight(n, j) * basket.
        Customer -1 has no baskets. A non-empty cart row is the newest basket (j = 0, n + 1)."""
        customers = np.asarray(customers, dtype=np.int64)
        nq = len(customers)
        ok = customers >= 0
        n_hist = np.zeros(nq, dtype=np.int64)
        n_hist[ok] = self.lengths()[customers[ok]]
        has_cart = np.zeros(nq, dtype=bool) if carts is None else np.diff(carts.indptr) > 0
        n_total = n_hist + has_cart
        # history rows: query q's baskets indptr[c]..indptr[c+1]-1, oldest first
        q_of = np.repeat(np.arange(nq), n_hist)
        first = np.zeros(nq, dtype=np.int64)
        first[ok] = self.indptr[customers[ok]]
        starts = np.concatenate([[0], np.cumsum(n_hist)[:-1]]) if nq else np.zeros(0, np.int64)
        offset = np.arange(len(q_of)) - np.repeat(starts, n_hist)        # 0 = oldest
        rows = first[q_of] + offset
        j = n_hist[q_of] - 1 - offset + has_cart[q_of]                    # 0 = newest
        w = weight(n_total[q_of], j).astype(np.float64)
        W = sp.csr_matrix((w, (q_of, rows)), shape=(nq, self.baskets.shape[0]))
        out = W @ self.baskets
        if carts is not None and has_cart.any():
            cw = np.zeros(nq)
            cw[has_cart] = weight(n_total[has_cart], np.zeros(int(has_cart.sum()), dtype=np.int64))
            out = out + sp.diags(cw) @ sp.csr_matrix(carts, dtype=np.float64)
        out = sp.csr_matrix(out)
        out.eliminate_zeros()
        out.sort_indices()
        return out

    def state(self, prefix: str) -> dict[str, np.ndarray]:
        return {**sparse_state(f"{prefix}.baskets", self.baskets), f"{prefix}.indptr": self.indptr}

    @classmethod
    def from_state(cls, prefix: str, arrays: dict[str, np.ndarray]) -> "BasketSequences":
        return cls(sparse_from_state(f"{prefix}.baskets", arrays), np.asarray(arrays[f"{prefix}.indptr"]))


def top_neighbours(sim: np.ndarray, k: int, positive_only: bool = True) -> sp.csr_matrix:
    """The ``k`` largest entries of each row of a dense similarity block (ties: the lower column
    first), as a CSR holding their similarities; with ``positive_only`` entries <= 0 are dropped.
    k = 0 keeps every (positive) entry."""
    n, m = sim.shape
    kk = m if k <= 0 else min(k, m)
    order = np.argsort(-sim, axis=1, kind="stable")[:, :kk]
    vals = np.take_along_axis(sim, order, axis=1)
    keep = vals > 0 if positive_only else np.isfinite(vals)
    rows = np.repeat(np.arange(n), kk).reshape(n, kk)
    out = sp.csr_matrix((vals[keep], (rows[keep], order[keep])), shape=(n, m))
    out.sort_indices()
    return out


def dense_scores(m: sp.csr_matrix, n_items: int) -> np.ndarray:
    """Dense (rows, n_items) block: the stored positive values, -inf elsewhere."""
    s = sp.csr_matrix(m).toarray()
    if s.shape[1] != n_items:
        raise ValueError(f"score block has {s.shape[1]} columns, expected {n_items}")
    s[s <= 0] = -np.inf
    return s


def fill_with_popularity(s: np.ndarray, popularity: np.ndarray) -> np.ndarray:
    """Items without a model score (-inf) that were seen in training get their popularity scaled
    into [-2, -1): below every model score (those are > 0), in popularity order. In place."""
    pop = np.asarray(popularity, dtype=np.float64)
    top = float(pop.max()) if pop.size else 0.0
    fill = np.where(pop > 0, pop / (top + 1.0) - 2.0, -np.inf)
    np.copyto(s, np.broadcast_to(fill, s.shape), where=np.isneginf(s))
    return s


def customer_rows(m: sp.csr_matrix, customers: np.ndarray) -> sp.csr_matrix:
    """Rows of a (n_customers, n_items) CSR for each query's customer; empty rows for -1."""
    customers = np.asarray(customers, dtype=np.int64)
    known = np.flatnonzero(customers >= 0)
    sel = sp.csr_matrix((np.ones(len(known)), (known, customers[known])), shape=(len(customers), m.shape[0]))
    out = sp.csr_matrix(sel @ m)
    out.sort_indices()
    return out
