"""Vectorised lookups of (row, column) coordinates in a canonical CSR matrix."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

CHUNK_NNZ = 1 << 22
"""Stored entries searched per block (bounds the int64 key array at ~32 MB)."""


def csr_find(mat: sp.csr_array, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """Position in ``mat.data`` of each coordinate (rows[i], cols[i]), -1 where not stored.

    ``mat`` must be canonical (sorted indices, no duplicates); ``rows`` must be
    non-decreasing; a negative column (padding) is never found. Each block of
    matrix rows holding about CHUNK_NNZ entries is searched with one
    ``searchsorted`` on the keys row * n_cols + col, so memory stays bounded and
    the cost is O((nnz + m) log nnz) without a Python loop over rows.
    """
    rows = np.asarray(rows, dtype=np.int64).ravel()
    cols = np.asarray(cols, dtype=np.int64).ravel()
    out = np.full(rows.size, -1, dtype=np.int64)
    n_rows, n_cols = mat.shape
    if rows.size == 0 or mat.nnz == 0:
        return out
    indptr = np.asarray(mat.indptr, dtype=np.int64)
    indices = np.asarray(mat.indices, dtype=np.int64)
    r0 = 0
    while r0 < n_rows:
        # last row r1 such that the block [r0, r1) holds <= CHUNK_NNZ entries (at least one row)
        r1 = int(np.searchsorted(indptr, indptr[r0] + CHUNK_NNZ, side="right")) - 1
        r1 = min(n_rows, max(r1, r0 + 1))
        lo, hi = int(indptr[r0]), int(indptr[r1])
        q_lo, q_hi = np.searchsorted(rows, [r0, r1])
        if hi > lo and q_hi > q_lo:
            block_rows = np.repeat(np.arange(r0, r1, dtype=np.int64), np.diff(indptr[r0:r1 + 1]))
            keys = block_rows * n_cols + indices[lo:hi]
            want = rows[q_lo:q_hi] * n_cols + cols[q_lo:q_hi]
            pos = np.minimum(np.searchsorted(keys, want), keys.size - 1)
            found = (keys[pos] == want) & (cols[q_lo:q_hi] >= 0)
            out[q_lo:q_hi] = np.where(found, pos + lo, -1)
        r0 = r1
    return out


def positions_at_recs(mat: sp.csr_array, recs: np.ndarray) -> np.ndarray:
    """Int (n, K): position in ``mat.data`` of each recommended item of row q, -1 if absent or padding."""
    n, k = recs.shape
    rows = np.repeat(np.arange(n, dtype=np.int64), k)
    return csr_find(mat, rows, recs.ravel()).reshape(n, k)


def values_at_recs(mat: sp.csr_array, recs: np.ndarray) -> np.ndarray:
    """Float (n, K): ``mat[q, recs[q, j]]``, 0 where the entry is not stored (or padding)."""
    pos = positions_at_recs(mat, recs)
    data = np.append(np.asarray(mat.data, dtype=np.float64), 0.0)  # position -1 -> 0
    return data[pos]
