"""Kernels (numba) over an itemset table: canonical order, exact lookup, rule enumeration.

The table is CSR-like: set ``s`` holds ``items[indptr[s]:indptr[s+1]]`` (sorted increasing),
sets are ordered by size and then lexicographically, and sets of size k are the id range
``bounds[k]:bounds[k+1]``. Lookup of any subset of a frequent itemset is then a binary search
in its size block; by downward closure the subset is always there.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from cs_lab.models.rules._buffers import grow, sort_inplace

_I64 = np.int64


@njit(cache=True)
def sort_within(items, indptr):
    """Sort each set's items in place."""
    for s in range(len(indptr) - 1):
        lo, hi = indptr[s], indptr[s + 1]
        if hi - lo > 1:
            sort_inplace(items[lo:hi], hi - lo)


@njit(cache=True)
def _cmp(items, indptr, s, q, qlen):
    lo = indptr[s]
    for c in range(qlen):
        a = items[lo + c]
        if a < q[c]:
            return -1
        if a > q[c]:
            return 1
    return 0


@njit(cache=True)
def find(items, indptr, bounds, q, qlen):
    """Id of the set equal to ``q[:qlen]`` (sorted), or -1."""
    if qlen >= len(bounds) - 1:
        return -1
    lo, hi = bounds[qlen], bounds[qlen + 1]
    while lo < hi:
        mid = (lo + hi) // 2
        c = _cmp(items, indptr, mid, q, qlen)
        if c == 0:
            return mid
        if c < 0:
            lo = mid + 1
        else:
            hi = mid
    return -1


@njit(cache=True)
def rules_kernel(items, indptr, counts, bounds, min_confidence, single):
    """Rules of every frequent itemset S (|S| >= 2) with confidence count(S) / count(A) >=
    ``min_confidence``: A = S - {c} for each c in S when ``single``, else every non-empty proper
    subset A of S (enumerated as bit masks). Returns (antecedent, consequent, itemset) set ids,
    ordered by itemset."""
    n = 0
    ante = np.empty(1024, _I64)
    cons = np.empty(1024, _I64)
    full = np.empty(1024, _I64)
    qa = np.empty(max(len(bounds), 2), _I64)
    qc = np.empty(max(len(bounds), 2), _I64)
    for s in range(bounds[min(2, len(bounds) - 1)], len(indptr) - 1):
        lo, hi = indptr[s], indptr[s + 1]
        k = hi - lo
        n_masks = k if single else (1 << k) - 2
        for r in range(n_masks):
            # antecedent bit mask: all items but item r, or the (r + 1)-th proper subset
            mask = ((1 << k) - 1) ^ (1 << r) if single else r + 1
            na = 0
            nc = 0
            for c in range(k):
                if (mask >> c) & 1:
                    qa[na] = items[lo + c]
                    na += 1
                else:
                    qc[nc] = items[lo + c]
                    nc += 1
            a = find(items, indptr, bounds, qa, na)
            if counts[s] / counts[a] >= min_confidence:
                if n == len(ante):
                    ante = grow(ante, n + 1)
                    cons = grow(cons, n + 1)
                    full = grow(full, n + 1)
                ante[n] = a
                cons[n] = find(items, indptr, bounds, qc, nc)
                full[n] = s
                n += 1
    return ante[:n], cons[:n], full[:n]
