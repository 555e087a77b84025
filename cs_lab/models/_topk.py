"""Row-wise top-k of dense score blocks: a compiled single pass (numba) with a NumPy reference.

Order: higher score first; equal scores by lower item index. -inf and NaN are never selected.
"""

from __future__ import annotations

import numpy as np

try:
    import numba as _nb
except ImportError:  # pragma: no cover - numba is a dependency; keep a working fallback
    _nb = None


def _topk_rows(scores, k, out_ids, out_scores):  # pragma: no cover - compiled
    n, m = scores.shape
    for r in _prange(n):
        hs = np.empty(k, dtype=scores.dtype)   # a min-heap on (score, -index): the root is the worst kept
        hi = np.empty(k, dtype=np.int64)
        size = 0
        row = scores[r]
        for j in range(m):
            v = row[j]
            if not (v > -np.inf):        # skips -inf and NaN
                continue
            if size < k:
                # sift up
                pos = size
                size += 1
                while pos > 0:
                    parent = (pos - 1) >> 1
                    if hs[parent] > v or (hs[parent] == v and hi[parent] < j):
                        hs[pos] = hs[parent]
                        hi[pos] = hi[parent]
                        pos = parent
                    else:
                        break
                hs[pos] = v
                hi[pos] = j
            elif v > hs[0]:              # equal score: the kept item has the lower index, keep it
                pos = 0
                while True:
                    left = 2 * pos + 1
                    if left >= size:
                        break
                    child = left
                    right = left + 1
                    if right < size and (hs[right] < hs[left] or (hs[right] == hs[left] and hi[right] > hi[left])):
                        child = right
                    if hs[child] < v or (hs[child] == v and hi[child] > j):
                        hs[pos] = hs[child]
                        hi[pos] = hi[child]
                        pos = child
                    else:
                        break
                hs[pos] = v
                hi[pos] = j
        # selection sort of the (small) heap into best-first order
        for t in range(size):
            best = t
            for u in range(t + 1, size):
                if hs[u] > hs[best] or (hs[u] == hs[best] and hi[u] < hi[best]):
                    best = u
            tmp_s = hs[t]
            tmp_i = hi[t]
            hs[t] = hs[best]
            hi[t] = hi[best]
            hs[best] = tmp_s
            hi[best] = tmp_i
            out_ids[r, t] = hi[t]
            out_scores[r, t] = hs[t]


if _nb is not None:
    _prange = _nb.prange
    _topk_compiled = _nb.njit(parallel=True, cache=True, nogil=True)(_topk_rows)
else:  # pragma: no cover
    _prange = range
    _topk_compiled = None


def top_k(scores: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """(ids, scores) of shape (n, k), best first, padded with -1 / NaN."""
    n = scores.shape[0]
    ids = np.full((n, k), -1, dtype=np.int64)
    out = np.full((n, k), np.nan)
    if n == 0:
        return ids, out
    if _topk_compiled is None:  # pragma: no cover
        return top_k_numpy(scores, k)
    s = scores if scores.dtype in (np.float32, np.float64) else scores.astype(np.float64)
    s = np.ascontiguousarray(s)
    _topk_compiled(s, min(k, s.shape[1]), ids, out)
    return ids, out


def top_k_numpy(scores: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Reference implementation (slow): a stable full sort per row."""
    n, m = scores.shape
    s = np.where(np.isnan(scores), -np.inf, scores)
    order = np.argsort(-s, axis=1, kind="stable")[:, : min(k, m)]
    top = np.take_along_axis(s, order, axis=1)
    ids = np.full((n, k), -1, dtype=np.int64)
    out = np.full((n, k), np.nan)
    valid = top > -np.inf
    ids[:, : order.shape[1]] = np.where(valid, order, -1)
    out[:, : order.shape[1]] = np.where(valid, top, np.nan)
    return ids, out
