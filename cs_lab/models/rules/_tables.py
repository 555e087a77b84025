"""Kernels (numba) over an itemset table: sorting within sets, exact lookup, rule enumeration.

The table is CSR-like: set ``s`` holds ``items[indptr[s]:indptr[s+1]]`` (sorted increasing),
sets are ordered by size and then lexicographically, and sets of size k are the id range
``bounds[k]:bounds[k+1]``. Rules look their antecedent and consequent up in a hash table of
the sets (by downward closure every subset of a frequent itemset is there).
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
def _hash(q, n):
    """64-bit FNV-1a style hash of the sorted items q[:n]."""
    h = np.uint64(14695981039346656037)
    for i in range(n):
        h = (h ^ np.uint64(q[i] + 1)) * np.uint64(1099511628211)
    return (h ^ (h >> np.uint64(29))) * np.uint64(0xBF58476D1CE4E5B9)


@njit(cache=True)
def build_index(items, indptr):
    """An open-addressing hash table (power-of-two size, linear probing) of set ids by items."""
    n = len(indptr) - 1
    size = 16
    while size < 2 * n:
        size *= 2
    table = np.full(size, -1, np.int32)
    mask = np.uint64(size - 1)
    for s in range(n):
        lo = indptr[s]
        slot = _hash(items[lo:indptr[s + 1]], _I64(indptr[s + 1] - lo)) & mask
        while table[slot] != -1:
            slot = (slot + np.uint64(1)) & mask
        table[slot] = s
    return table


@njit(cache=True)
def find(items, indptr, table, q, qlen):
    """Id of the set equal to the sorted ``q[:qlen]``, or -1."""
    mask = np.uint64(len(table) - 1)
    slot = _hash(q, qlen) & mask
    while True:
        s = table[slot]
        if s == -1:
            return -1
        lo = indptr[s]
        if indptr[s + 1] - lo == qlen:
            same = True
            for c in range(qlen):
                if items[lo + c] != q[c]:
                    same = False
                    break
            if same:
                return s
        slot = (slot + np.uint64(1)) & mask


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
    table = build_index(items, indptr)
    qa = np.empty(max(len(bounds), 2), items.dtype)
    qc = np.empty(max(len(bounds), 2), items.dtype)
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
            a = find(items, indptr, table, qa, _I64(na))
            if counts[s] / counts[a] >= min_confidence:
                if n == len(ante):
                    ante = grow(ante, n + 1)
                    cons = grow(cons, n + 1)
                    full = grow(full, n + 1)
                ante[n] = a
                cons[n] = find(items, indptr, table, qc, _I64(nc))
                full[n] = s
                n += 1
    return ante[:n], cons[:n], full[:n]
