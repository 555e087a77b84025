"""Training matrices and cart fold-in, shared by the CF models.

All functions are pure NumPy/SciPy over arrays; no model imports.
"""

from __future__ import annotations

from contextlib import nullcontext
from functools import lru_cache
from typing import Any, Literal

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


def als_fold_in(confidences: sp.csr_matrix, item_factors: np.ndarray, regularization: float | np.ndarray,
                yty: np.ndarray | None = None, max_block_bytes: int = 1 << 26) -> np.ndarray:
    """Exact ALS user vectors for rows of confidences, given fixed item factors Y.

    For each row u with confidences c_ui (p_ui = 1 where c_ui > 0), solves
        (YtY + Yt (C_u - I) Y + reg I) x_u = Yt C_u p_u
    exactly as implicit's ``recalculate_user`` (negative c means p = 0 with weight |c|), vectorised:
    rows are sorted by length and taken in blocks; each block's item factors are padded to the
    block's longest row, so Yt (C_u - I) Y is one batched matmul, then one batched solve.
    Rows without entries give zero vectors. Returns (n, F) float64.

    ``regularization`` is one penalty for every row, or an (n,) array of per-row penalties (Spark's
    ALS scales the penalty by the row's number of items; cs_lab.spark.als).
    """
    c = sp.csr_matrix(confidences, dtype=np.float64)
    y = np.asarray(item_factors, dtype=np.float64)
    n, f = c.shape[0], y.shape[1]
    if yty is None:
        yty = y.T @ y
    row_reg = None
    if np.ndim(regularization) == 0:
        base = yty + float(regularization) * np.eye(f)
    else:
        row_reg = np.asarray(regularization, dtype=np.float64)
        if row_reg.shape != (n,):
            raise ValueError(f"regularization has shape {row_reg.shape}, expected ({n},) or a scalar")
        base = yty
    b = np.asarray(sp.csr_matrix((np.maximum(c.data, 0.0), c.indices, c.indptr), shape=c.shape) @ y)
    out = np.zeros((n, f))
    counts = np.diff(c.indptr)
    rows = np.flatnonzero(counts)
    rows = rows[np.argsort(counts[rows], kind="stable")]
    sorted_counts = counts[rows].astype(np.int64)
    with _one_blas_thread():
        _solve_blocks(c, y, base, b, rows, sorted_counts, out, max_block_bytes, row_reg)
    return out


def _solve_blocks(c, y, base, b, rows, sorted_counts, out, max_block_bytes, row_reg=None) -> None:
    f = y.shape[1]
    start = 0
    while start < len(rows):
        # largest block whose padded factors (m, L, F) and systems (m, F, F) fit the budget;
        # rows are sorted by length, so L is the block's last row's length
        m = np.arange(1, len(rows) - start + 1)
        cost = m * (sorted_counts[start:] + f) * 8 * f
        stop = start + max(1, int(np.searchsorted(cost, max_block_bytes, side="right")))
        r = rows[start:stop]
        longest = int(sorted_counts[stop - 1])
        g, w = _padded(c, r, y, longest)                            # (m, L, F), (m, L)
        a = np.matmul(np.swapaxes(g * (np.abs(w) - 1.0)[:, :, None], 1, 2), g) + base
        if row_reg is not None:
            a[:, np.arange(f), np.arange(f)] += row_reg[r][:, None]
        out[r] = np.linalg.solve(a, b[r][:, :, None])[:, :, 0]
        start = stop


def _padded(c: sp.csr_matrix, rows: np.ndarray, y: np.ndarray, length: int) -> tuple[np.ndarray, np.ndarray]:
    """Factors and weights of the given rows' entries, padded with zero-weight zero rows to ``length``."""
    starts, ends = c.indptr[rows], c.indptr[rows + 1]
    sizes = ends - starts
    pos = np.arange(length)[None, :]
    valid = pos < sizes[:, None]
    idx = np.where(valid, starts[:, None] + pos, 0)
    items = np.where(valid, c.indices[idx], 0)
    g = y[items] * valid[:, :, None]
    w = np.where(valid, c.data[idx], 1.0)  # |1| - 1 = 0: padding adds nothing
    return g, w


@lru_cache(maxsize=1)
def _blas_controller() -> Any:
    try:
        from threadpoolctl import ThreadpoolController
    except ImportError:  # pragma: no cover - threadpoolctl comes with implicit and scikit-learn
        return None
    return ThreadpoolController()


def _one_blas_thread():
    """Many tiny BLAS calls run far faster on one thread (OpenBLAS threads spin on small matrices,
    badly so on a busy machine); the limit holds only inside the block."""
    ctl = _blas_controller()
    return nullcontext() if ctl is None else ctl.limit(limits=1, user_api="blas")
