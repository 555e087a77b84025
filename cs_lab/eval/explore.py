"""Repeat / explore split of the truth (Li et al., "A Next Basket Recommendation Reality Check", TOIS 2023).

A hidden item is a *repeat* item when the query's customer bought it in the
training period (it is in the query's ``history`` row) and an *explore* item
otherwise. Anonymous or new customers have an empty history row, so all of
their truth is explore.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import scipy.sparse as sp

from cs_lab.errors import DataError
from cs_lab.eval.inputs import as_truth_matrix
from cs_lab.eval.lookup import csr_find

PARTS = ("repeat", "explore")
"""Names of the truth parts, used as suffixes: ``ndcg@10.repeat``, ``ndcg@10.explore``."""


def as_history_matrix(history: sp.sparray | sp.spmatrix, n_queries: int, n_items: int) -> sp.csr_array:
    """Canonical CSR history (stored value > 0 = bought), checked against the truth's shape."""
    if not sp.issparse(history):
        raise DataError(f"history must be a scipy sparse matrix, got {type(history).__name__}",
                        hint="build a CSR (n_queries, n_items) in the truth's item index")
    if history.shape != (n_queries, n_items):
        raise DataError(f"history has shape {history.shape} but truth is {(n_queries, n_items)}",
                        hint="one history row per query (empty for anonymous customers), "
                             "columns in the truth's item index")
    return as_truth_matrix(history)


def in_history(truth: sp.csr_array, history: sp.csr_array) -> np.ndarray:
    """Bool (nnz(truth),): each stored truth entry is in the same row of ``history``.

    Both matrices must be canonical (``as_truth_matrix``) and of the same shape.
    """
    rows = np.repeat(np.arange(truth.shape[0], dtype=np.int64), np.diff(truth.indptr))
    return csr_find(history, rows, truth.indices) >= 0


def _keep(mat: sp.csr_array, mask: np.ndarray) -> sp.csr_array:
    """The stored entries of ``mat`` where ``mask`` is True (same shape, canonical)."""
    rows = np.repeat(np.arange(mat.shape[0], dtype=np.int64), np.diff(mat.indptr))
    counts = np.bincount(rows[mask], minlength=mat.shape[0])
    indptr = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    return sp.csr_array((mat.data[mask], mat.indices[mask], indptr), shape=mat.shape)


def split_repeat_explore(truth: sp.sparray | sp.spmatrix,
                         history: sp.sparray | sp.spmatrix) -> tuple[sp.csr_array, sp.csr_array]:
    """(repeat, explore): truth ∩ history and truth \\ history, row by row.

    truth   : CSR (n_queries, n_items), stored value > 0 = hidden item (values kept).
    history : CSR of the same shape, stored value > 0 = the query's customer
              bought the item in the training period; empty row = no history.
    Both outputs are canonical CSR matrices of the truth's shape whose entries
    partition the truth's relevant entries.
    """
    t = as_truth_matrix(truth)
    h = as_history_matrix(history, *t.shape)
    repeat = in_history(t, h)
    return _keep(t, repeat), _keep(t, ~repeat)


def history_for_queries(query_customers: Sequence, customers: Sequence,
                        customer_items: sp.sparray | sp.spmatrix) -> sp.csr_array:
    """Per-query history rows picked from a per-customer purchase matrix.

    query_customers : customer id of each query; None / NaN (anonymous) or an id
                      absent from ``customers`` (new customer) -> empty row.
    customers       : the customer id of each row of ``customer_items``.
    customer_items  : CSR (n_customers, n_items), stored value > 0 = bought in
                      the training period, columns in the truth's item index.
    Returns a canonical CSR (n_queries, n_items) for ``evaluate(history=...)``.
    """
    if not sp.issparse(customer_items):
        raise DataError(f"customer_items must be a scipy sparse matrix, got {type(customer_items).__name__}")
    index = pd.Index(np.asarray(customers, dtype=object))
    if len(index) != customer_items.shape[0]:
        raise DataError(f"{len(index)} customer ids for {customer_items.shape[0]} rows of customer_items")
    if not index.is_unique:
        raise DataError("customer ids repeat", hint="one row of customer_items per customer")
    rows = index.get_indexer(pd.Index(np.asarray(query_customers, dtype=object)))
    items = as_truth_matrix(customer_items)
    padded = sp.vstack([items, sp.csr_array((1, items.shape[1]))], format="csr")
    return as_truth_matrix(padded[np.where(rows < 0, items.shape[0], rows)])
