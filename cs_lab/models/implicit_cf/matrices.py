"""Training matrices and cart fold-in, shared by the CF models.

All functions are pure NumPy/SciPy over arrays; no model imports.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import scipy.sparse as sp

from cs_lab.data.interactions import Interactions
from cs_lab.errors import DataError

TrainOn = Literal["customers", "baskets"]
Confidence = Literal["linear", "log", "binary"]


def training_matrix(train: Interactions, train_on: TrainOn, confidence: Confidence = "linear") -> sp.csr_matrix:
    """The (rows, n_items) float32 CSR a library is fitted on (a fresh copy, safe to hand over).

    train_on="customers": customer x item basket counts (anonymous baskets are not used);
    train_on="baskets":   basket x item, binary (every basket counts, anonymous ones too).
    confidence: "linear" keeps the values, "log" maps a count r to 1 + ln(r), "binary" sets 1.
    """
    if train_on == "customers":
        m = train.customer_items
        what = "customer x item"
    else:
        m = train.basket_items
        what = "basket x item"
    m = sp.csr_matrix(m, dtype=np.float32, copy=True)
    m.sum_duplicates()
    m.eliminate_zeros()
    m.sort_indices()
    if m.nnz == 0:
        raise DataError(f"the {what} training matrix is empty",
                        hint="with train_on='customers' every training basket may be anonymous; "
                             "use train_on='baskets'")
    m.data = transform_values(m.data, confidence)
    return m


def transform_values(data: np.ndarray, confidence: Confidence) -> np.ndarray:
    data = np.asarray(data, dtype=np.float32)
    if confidence == "binary":
        return np.ones_like(data)
    if confidence == "log":
        return (1.0 + np.log(np.maximum(data, 1.0))).astype(np.float32)
    return data.copy()


def row_mean(m: sp.csr_matrix, factors: np.ndarray) -> np.ndarray:
    """Value-weighted mean of the factor rows each matrix row touches ((n, F) float64; zero rows
    give zero vectors)."""
    m = sp.csr_matrix(m, dtype=np.float64)
    total = np.asarray(m.sum(axis=1)).ravel()
    out = np.asarray(m @ factors.astype(np.float64, copy=False))
    nz = total != 0
    out[nz] /= total[nz, None]
    return out


def als_fold_in(confidences: sp.csr_matrix, item_factors: np.ndarray, regularization: float,
                yty: np.ndarray | None = None, max_block_bytes: int = 1 << 27) -> np.ndarray:
    """Exact ALS user vectors for rows of confidences, given fixed item factors Y.

    For each row u with confidences c_ui (p_ui = 1 where c_ui > 0), solves
        (YtY + Yt (C_u - I) Y + reg I) x_u = Yt C_u p_u
    exactly as implicit's ``recalculate_user`` (negative c means p = 0 with weight |c|), vectorised:
    the per-row sums of outer products are one sparse x dense product, then a batched solve.
    Rows without entries give zero vectors. Returns (n, F) float64.
    """
    c = sp.csr_matrix(confidences, dtype=np.float64)
    c.sort_indices()
    y = np.asarray(item_factors, dtype=np.float64)
    n, f = c.shape[0], y.shape[1]
    if yty is None:
        yty = y.T @ y
    base = yty + regularization * np.eye(f)
    b = np.asarray(sp.csr_matrix((np.maximum(c.data, 0.0), c.indices, c.indptr), shape=c.shape) @ y)
    out = np.zeros((n, f))
    counts = np.diff(c.indptr)
    rows = np.flatnonzero(counts)
    if len(rows) == 0:
        return out
    # blocks of rows whose outer products fit in max_block_bytes; a row too long for that alone
    # is done on its own with a (F, nnz) x (nnz, F) product
    per_nnz = 8 * f * f
    cum = np.cumsum(counts[rows])
    start = 0
    while start < len(rows):
        offset = cum[start - 1] if start else 0
        stop = int(np.searchsorted(cum, offset + max(1, max_block_bytes // per_nnz), side="right"))
        stop = max(stop, start + 1)
        r = rows[start:stop]
        sub = c[r]
        g = y[sub.indices]                                            # (nnz, F)
        wts = np.abs(sub.data) - 1.0
        if len(r) == 1:
            a = (g.T @ (g * wts[:, None]))[None] + base
        else:
            nnz = sub.nnz
            w = sp.csr_matrix((wts, np.arange(nnz), sub.indptr), shape=(len(r), nnz))
            a = np.asarray(w @ (g[:, :, None] * g[:, None, :]).reshape(nnz, f * f)).reshape(len(r), f, f) + base
        out[r] = np.linalg.solve(a, b[r][:, :, None])[:, :, 0]
        start = stop
    return out
