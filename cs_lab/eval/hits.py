"""The hit matrix: which recommended items are in each query's truth."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp


def hit_matrix(recs: np.ndarray, truth: sp.csr_array) -> np.ndarray:
    """Boolean (n_queries, K) array, True where ``recs[q, j]`` is a relevant item of query q.

    ``truth`` must be canonical (see ``as_truth_matrix``). Vectorised as a sweep
    over truth *positions*, not queries: queries are ordered by truth size, and
    step j compares every recommendation of the queries that have a j-th truth
    item with that item. Total work is O(nnz(truth) * K) plus one small step
    per position of the longest truth list; padding (-1) never matches.
    """
    n, k = recs.shape
    hits = np.zeros((n, k), dtype=bool)
    if n == 0 or k == 0 or truth.nnz == 0:
        return hits
    indptr, indices = truth.indptr, truth.indices
    lengths = np.diff(indptr)
    order = np.argsort(-lengths, kind="stable")
    # n_longer[j]: number of queries with more than j truth items
    n_longer = n - np.cumsum(np.bincount(lengths))
    starts = indptr[:-1]
    for j in range(int(lengths.max())):
        m = int(n_longer[j])
        if m == n:
            hits |= recs == indices[starts + j][:, None]
        else:
            rows = order[:m]
            hits[rows] |= recs[rows] == indices[starts[rows] + j][:, None]
    return hits
