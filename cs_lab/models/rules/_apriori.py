"""Apriori kernel (numba): level-wise candidates (join + prune), counted on sparse columns.

Level k's itemsets are rows of a (n, k) array sorted lexicographically. Candidates of level
k + 1 join two rows sharing their first k - 1 items and are pruned unless every k-subset is
frequent. A candidate's count is the number of baskets holding all its items, counted on
the CSC columns (basket lists) of the basket x item matrix: the baskets holding the shared
k-prefix are marked once, then each extension item's column is scanned against the marks.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from cs_lab.models.rules._buffers import grow

_I64 = np.int64


@njit(cache=True)
def _compare(mat, i, q):
    """-1, 0 or 1 as row ``i`` of ``mat`` is before, equal to or after ``q``."""
    for c in range(mat.shape[1]):
        if mat[i, c] < q[c]:
            return -1
        if mat[i, c] > q[c]:
            return 1
    return 0


@njit(cache=True)
def _contains(mat, q):
    lo, hi = 0, mat.shape[0]
    while lo < hi:
        mid = (lo + hi) // 2
        c = _compare(mat, mid, q)
        if c == 0:
            return True
        if c < 0:
            lo = mid + 1
        else:
            hi = mid
    return False


@njit(cache=True)
def _next_level(prev, col_ptr, col_idx, marks, min_count, limit, n_out):
    """Frequent (k + 1)-itemsets from the sorted frequent k-itemsets ``prev``: (rows, counts)."""
    n, k = prev.shape
    rows = np.empty(1024 * (k + 1), _I64)
    cnts = np.empty(1024, _I64)
    sub = np.empty(k, _I64)
    cand = np.empty(k + 1, _I64)
    n_rows = 0
    i = 0
    while i < n:
        # rows i..end-1 share the same (k-1)-prefix
        end = i + 1
        while end < n:
            same = True
            for c in range(k - 1):
                if prev[end, c] != prev[i, c]:
                    same = False
                    break
            if not same:
                break
            end += 1
        for a in range(i, end - 1):
            marked = False
            for b in range(a + 1, end):
                for c in range(k):
                    cand[c] = prev[a, c]
                cand[k] = prev[b, k - 1]
                ok = True
                for drop in range(k - 1):  # the two subsets dropping cand[k-1] or cand[k] are rows a, b
                    p = 0
                    for c in range(k + 1):
                        if c != drop:
                            sub[p] = cand[c]
                            p += 1
                    if not _contains(prev, sub):
                        ok = False
                        break
                if not ok:
                    continue
                if not marked:
                    for c in range(k):
                        it = prev[a, c]
                        for t in range(col_ptr[it], col_ptr[it + 1]):
                            marks[col_idx[t]] += 1
                    marked = True
                e = cand[k]
                cnt = 0
                for t in range(col_ptr[e], col_ptr[e + 1]):
                    if marks[col_idx[t]] == k:
                        cnt += 1
                if cnt >= min_count:
                    rows = grow(rows, (n_rows + 1) * (k + 1))
                    cnts = grow(cnts, n_rows + 1)
                    rows[n_rows * (k + 1):(n_rows + 1) * (k + 1)] = cand
                    cnts[n_rows] = cnt
                    n_rows += 1
                    if n_out + n_rows > limit:
                        break
            if marked:
                for c in range(k):
                    it = prev[a, c]
                    for t in range(col_ptr[it], col_ptr[it + 1]):
                        marks[col_idx[t]] = 0
            if n_out + n_rows > limit:
                break
        if n_out + n_rows > limit:
            break
        i = end
    return rows[:n_rows * (k + 1)].reshape(n_rows, k + 1), cnts[:n_rows]
