"""The popularity tail of the repeat/explore interleave, in one compiled pass per row (numba).

For row r, the items of ``order`` (seen items, most popular first) that are not off the tail
(bought, in the cart or reached by the explore list) continue the explore ranks:
the e-th of them (e = 0, 1, ...) gets score -(n_reached[r] + e + 1/2) / scale. Items off the tail
keep their score. A row's numbers never depend on the other rows.
"""

from __future__ import annotations

import numpy as np

try:
    import numba as _nb
except ImportError:  # pragma: no cover - numba is a dependency; the loop still runs uncompiled
    _nb = None


def _fill_tail(s, order, off_indptr, off_indices, n_reached, scale, mark):  # pragma: no cover - compiled
    for r in range(s.shape[0]):
        for t in range(off_indptr[r], off_indptr[r + 1]):
            mark[off_indices[t]] = True
        e = n_reached[r]
        for p in range(len(order)):
            i = order[p]
            if not mark[i]:
                s[r, i] = -(e + 0.5) / scale
                e += 1
        for t in range(off_indptr[r], off_indptr[r + 1]):
            mark[off_indices[t]] = False


if _nb is not None:
    _fill_tail_compiled = _nb.njit(cache=True, nogil=True)(_fill_tail)
else:  # pragma: no cover
    _fill_tail_compiled = _fill_tail


def fill_tail(s: np.ndarray, order: np.ndarray, off_indptr: np.ndarray, off_indices: np.ndarray,
              n_reached: np.ndarray, scale: float) -> None:
    """Write the tail scores into ``s`` (n, n_items) float64, in place (see the module doc)."""
    mark = np.zeros(s.shape[1], dtype=np.bool_)
    _fill_tail_compiled(s, np.ascontiguousarray(order, dtype=np.int64), np.asarray(off_indptr, dtype=np.int64),
                        np.asarray(off_indices, dtype=np.int64), np.asarray(n_reached, dtype=np.int64),
                        float(scale), mark)
