"""Small numba helpers: growable output arrays, an in-place sort, row gathering (cheaper to
compile than numba's typed lists and np.sort, which otherwise dominate compile time)."""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True)
def grow(a, need):
    """``a`` if it holds ``need`` elements, else a copy at least twice as long."""
    if need <= len(a):
        return a
    b = np.empty(max(need, 2 * len(a), 16), a.dtype)
    b[:len(a)] = a
    return b


@njit(cache=True)
def sort_inplace(a, n):
    """Sort ``a[:n]`` in place (shell sort: insertion sort for the short itemsets, still
    sub-quadratic for the occasional long array)."""
    gap = 1
    while gap < n // 3:
        gap = 3 * gap + 1
    while gap > 0:
        for i in range(gap, n):
            v = a[i]
            j = i
            while j >= gap and a[j - gap] > v:
                a[j] = a[j - gap]
                j -= gap
            a[j] = v
        gap //= 3


@njit(cache=True)
def take_rows(items, indptr, order):
    """The CSR rows ``order`` of (items, indptr), concatenated: (items, indptr)."""
    new_ptr = np.zeros(len(order) + 1, np.int64)
    for i in range(len(order)):
        r = order[i]
        new_ptr[i + 1] = new_ptr[i] + indptr[r + 1] - indptr[r]
    out = np.empty(new_ptr[-1], items.dtype)
    for i in range(len(order)):
        r = order[i]
        out[new_ptr[i]:new_ptr[i + 1]] = items[indptr[r]:indptr[r + 1]]
    return out, new_ptr
