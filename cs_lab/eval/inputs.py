"""Checked conversion of evaluation inputs: recommendation arrays and truth matrices.

Conventions used by every metric:

* ``recs`` is an integer array of shape (n_queries, K): row ``q`` lists item
  indices in ranked order (column 0 is the top). Rows with fewer than K items
  are padded with -1 *at the end*; an item appears at most once per row.
* ``truth`` is a CSR matrix of shape (n_queries, n_items) whose stored entries
  with a value > 0 are the hidden (relevant) items of each query. Values may
  carry a quantity; relevance is binary (value > 0), so quantities never change
  the accuracy metrics. Entries <= 0 and explicit zeros are ignored.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import scipy.sparse as sp

from cs_lab.errors import DataError

PAD = -1
"""Item index used to pad recommendation rows shorter than K."""

TruthLike = sp.sparray | sp.spmatrix | Sequence[Iterable[int]]


def truth_from_lists(lists: Sequence[Iterable[int]], n_items: int) -> sp.csr_array:
    """Binary CSR truth matrix from one iterable of item indices per query.

    Duplicated items within a list are counted once.
    """
    rows = [np.asarray(list(x), dtype=np.int64).ravel() for x in lists]
    lengths = np.fromiter((len(r) for r in rows), dtype=np.int64, count=len(rows))
    cols = np.concatenate(rows) if rows else np.zeros(0, dtype=np.int64)
    if cols.size and (cols.min() < 0 or cols.max() >= n_items):
        raise DataError(f"truth lists contain item indices outside [0, {n_items})",
                        hint="pass n_items covering every item index")
    indptr = np.concatenate([[0], np.cumsum(lengths)])
    mat = sp.csr_array((np.ones(cols.size), cols, indptr), shape=(len(rows), n_items))
    return as_truth_matrix(mat)


def as_truth_matrix(truth: TruthLike, n_items: int | None = None) -> sp.csr_array:
    """Canonical truth: CSR, sorted indices, no duplicates, only entries with value > 0.

    A sequence of item-index lists is accepted when ``n_items`` is given. The
    returned matrix's ``data`` holds the (summed) stored values, e.g. quantities.
    """
    if not sp.issparse(truth):
        if n_items is None:
            raise DataError("truth given as lists needs n_items",
                            hint="pass n_items= or a scipy CSR matrix")
        return truth_from_lists(truth, n_items)  # type: ignore[arg-type]
    mat = sp.csr_array(truth, dtype=np.float64, copy=True)
    if n_items is not None and mat.shape[1] != n_items:
        raise DataError(f"truth has {mat.shape[1]} item columns but n_items={n_items}")
    mat.sum_duplicates()
    mat.data[~(mat.data > 0)] = 0.0
    mat.eliminate_zeros()
    mat.sort_indices()
    mat.indices = mat.indices.astype(np.int64, copy=False)
    mat.indptr = mat.indptr.astype(np.int64, copy=False)
    return mat


def check_recs(recs: np.ndarray, n_items: int, *, check_duplicates: bool = True) -> np.ndarray:
    """Validate a recommendation array and return it as int64 (no copy when already int64).

    Raises DataError for a wrong shape or dtype, indices outside [-1, n_items),
    padding followed by an item (holes), or an item repeated within a row.
    """
    arr = np.asarray(recs)
    if arr.ndim != 2:
        raise DataError(f"recs must be a 2-D array (n_queries, K), got shape {arr.shape}")
    if not np.issubdtype(arr.dtype, np.integer):
        raise DataError(f"recs must hold integer item indices, got dtype {arr.dtype}")
    arr = arr.astype(np.int64, copy=False)
    if arr.size == 0:
        return arr
    lo, hi = int(arr.min()), int(arr.max())
    if lo < PAD or hi >= n_items:
        raise DataError(f"recs hold item indices in [{lo}, {hi}], outside [-1, {n_items})",
                        hint="-1 is the only allowed padding value; n_items must cover all items")
    valid = arr >= 0
    holes = ~valid[:, :-1] & valid[:, 1:]
    if holes.any():
        row = int(np.flatnonzero(holes.any(axis=1))[0])
        raise DataError(f"recs row {row} has an item after -1 padding",
                        hint="pad rows only at the end")
    if check_duplicates and arr.shape[1] > 1:
        ordered = np.sort(arr, axis=1)
        dup = (ordered[:, 1:] == ordered[:, :-1]) & (ordered[:, 1:] >= 0)
        if dup.any():
            row = int(np.flatnonzero(dup.any(axis=1))[0])
            item = int(ordered[row, 1:][dup[row]][0])
            raise DataError(f"recs row {row} lists item {item} more than once",
                            hint="deduplicate recommendations before evaluating")
    return arr


def pad_to(recs: np.ndarray, k: int) -> np.ndarray:
    """First ``k`` columns of ``recs``, padded on the right with -1 if it is narrower."""
    if recs.shape[1] >= k:
        return recs[:, :k]
    out = np.full((recs.shape[0], k), PAD, dtype=np.int64)
    out[:, : recs.shape[1]] = recs
    return out


def check_ks(ks: Iterable[int] | int) -> tuple[int, ...]:
    """Sorted, de-duplicated cut-offs; each must be a positive integer."""
    raw = [ks] if isinstance(ks, (int, np.integer)) else list(ks)
    if not raw:
        raise DataError("ks must list at least one cut-off")
    out = []
    for k in raw:
        if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
            raise DataError(f"cut-off {k!r} is not a positive integer")
        out.append(int(k))
    return tuple(sorted(set(out)))
