"""Per-query (row-wise) score normalisation over each row's candidates (finite scores).

Both return values in [0, 1] for candidates and 0 for non-candidates, plus the candidate mask.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from scipy.stats import rankdata

Normalisation = Literal["minmax", "rank"]


def _minmax_kernel(scores, out, cand):  # pragma: no cover - compiled
    n, m = scores.shape
    for r in _prange(n):
        row = scores[r]
        lo, hi = np.inf, -np.inf
        for j in range(m):
            v = row[j]
            if np.isfinite(v):
                if v < lo:
                    lo = v
                if v > hi:
                    hi = v
        span = hi - lo
        for j in range(m):
            v = row[j]
            if np.isfinite(v):
                cand[r, j] = True
                out[r, j] = (v - lo) / span if span > 0 else 1.0
            else:
                cand[r, j] = False
                out[r, j] = 0.0


try:
    import numba as _nb

    _prange = _nb.prange
    _minmax_compiled = _nb.njit(parallel=True, cache=True, nogil=True)(_minmax_kernel)
except ImportError:  # pragma: no cover - numba is a dependency
    _prange = range
    _minmax_compiled = None


def minmax_rows(scores: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(s - row min) / (row max - row min) over the row's candidates; a row whose candidates all
    share one score gets 1.0 for each of them. One compiled pass per row (``minmax_rows_numpy`` is
    the reference it is tested against)."""
    s = np.asarray(scores)
    if _minmax_compiled is None or s.ndim != 2 or s.dtype not in (np.float32, np.float64):
        return minmax_rows_numpy(scores)
    out = np.empty(s.shape, dtype=np.float64)
    cand = np.empty(s.shape, dtype=bool)
    _minmax_compiled(np.ascontiguousarray(s), out, cand)
    return out, cand


def minmax_rows_numpy(scores: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """NumPy reference of ``minmax_rows``."""
    cand = np.isfinite(scores)
    lo = np.where(cand, scores, np.inf).min(axis=1, keepdims=True)
    hi = np.where(cand, scores, -np.inf).max(axis=1, keepdims=True)
    span = hi - lo
    with np.errstate(invalid="ignore", divide="ignore"):
        norm = np.where(span > 0, (scores - lo) / np.where(span > 0, span, 1.0), 1.0)
    return np.where(cand, norm, 0.0), cand


def rank_rows(scores: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rank of each candidate among the row's candidates divided by their number: the best gets
    1.0, the worst 1/n; tied candidates share their average rank."""
    cand = np.isfinite(scores)
    if scores.size == 0:
        return np.zeros_like(scores, dtype=np.float64), cand
    s = np.where(cand, scores, -np.inf)
    r = rankdata(s, method="average", axis=1)           # non-candidates tie at the bottom
    n_c = cand.sum(axis=1, keepdims=True)
    n_nc = scores.shape[1] - n_c
    with np.errstate(invalid="ignore", divide="ignore"):
        norm = (r - n_nc) / np.maximum(n_c, 1)
    return np.where(cand, norm, 0.0), cand


def normalise_rows(scores: np.ndarray, how: Normalisation) -> tuple[np.ndarray, np.ndarray]:
    if how == "minmax":
        return minmax_rows(scores)
    if how == "rank":
        return rank_rows(scores)
    raise ValueError(f"unknown normalisation {how!r} (minmax | rank)")
