"""FrequentItemsets: the result of FP-Growth or Apriori, as a CSR-like table in canonical order."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
import pandas as pd


@dataclass(frozen=True, eq=False)
class FrequentItemsets:
    """Frequent itemsets over a basket x item matrix.

    indptr      (n_sets + 1,) int64: set ``s`` is ``items[indptr[s]:indptr[s+1]]``
    items       int32 item indices (columns of the basket matrix), increasing within a set
    counts      (n_sets,) int64 number of baskets holding every item of the set
    n_baskets   number of baskets mined (the denominator of support)
    n_items     number of columns of the basket matrix
    min_support, max_len   the thresholds used

    Sets are ordered by size, then lexicographically by item index, whatever algorithm found
    them, so two miners agree array for array. ``bounds[k]:bounds[k+1]`` are the sets of size k.
    """

    indptr: np.ndarray
    items: np.ndarray
    counts: np.ndarray
    n_baskets: int
    n_items: int
    min_support: float
    max_len: int | None = None

    def __len__(self) -> int:
        return len(self.counts)

    @property
    def sizes(self) -> np.ndarray:
        return np.diff(self.indptr)

    @property
    def support(self) -> np.ndarray:
        """Fraction of baskets holding the set: counts / n_baskets (float64)."""
        return self.counts / float(self.n_baskets)

    @property
    def max_size(self) -> int:
        return int(self.sizes[-1]) if len(self) else 0

    @property
    def bounds(self) -> np.ndarray:
        """(max_size + 2,) int64: sets of size k have ids bounds[k] .. bounds[k+1]-1."""
        return np.searchsorted(self.sizes, np.arange(self.max_size + 2), side="left").astype(np.int64)

    def itemset(self, s: int) -> np.ndarray:
        return self.items[self.indptr[s]:self.indptr[s + 1]]

    def index(self, items: Sequence[int]) -> int:
        """Id of the set holding exactly ``items`` (item indices), or -1 when it is not frequent."""
        q = np.unique(np.asarray(items, dtype=np.int64))
        b = self.bounds
        k = len(q)
        if k == 0 or k >= len(b) - 1:
            return -1
        lo, hi = int(b[k]), int(b[k + 1])
        rows = self.items[self.indptr[lo]:self.indptr[hi]].reshape(-1, k)
        hit = np.flatnonzero((rows == q).all(axis=1))
        return lo + int(hit[0]) if len(hit) else -1

    def gather(self, set_ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The sets ``set_ids`` as (offsets, items): set i is items[offsets[i]:offsets[i+1]]."""
        set_ids = np.asarray(set_ids, dtype=np.int64)
        size = self.indptr[set_ids + 1] - self.indptr[set_ids]
        offsets = np.zeros(len(set_ids) + 1, dtype=np.int64)
        np.cumsum(size, out=offsets[1:])
        idx = np.repeat(self.indptr[set_ids] - offsets[:-1], size) + np.arange(offsets[-1])
        return offsets, self.items[idx]

    def labels_of(self, s: int, labels: Sequence | np.ndarray | None = None) -> list:
        it = self.itemset(s)
        return it.tolist() if labels is None else [labels[i] for i in it]

    def to_frame(self, labels: Sequence | np.ndarray | None = None) -> pd.DataFrame:
        """mlxtend-style frame: support, itemsets (frozensets of item indices, or of
        ``labels[item]`` when labels are given), count."""
        lab = None if labels is None else np.asarray(labels, dtype=object)
        sets = _frozensets(self.items, self.indptr, lab)
        return pd.DataFrame({"support": self.support, "itemsets": sets, "count": self.counts})


def _frozensets(items: np.ndarray, indptr: np.ndarray, labels: np.ndarray | None) -> list[frozenset]:
    vals = items.tolist() if labels is None else labels[items].tolist()
    return [frozenset(vals[a:b]) for a, b in zip(indptr[:-1].tolist(), indptr[1:].tolist())]


def canonical(items: np.ndarray, sizes: np.ndarray, counts: np.ndarray
              ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Put raw mining output (sets concatenated in any order, items unordered) in canonical
    order: items increasing within a set, sets by size then lexicographically.
    Returns (indptr, items int32, counts int64)."""
    from cs_lab.models.rules._buffers import take_rows
    from cs_lab.models.rules._tables import sort_within

    sizes = np.asarray(sizes)
    indptr = np.zeros(len(sizes) + 1, dtype=np.int64)
    np.cumsum(sizes, out=indptr[1:])
    items = np.array(items, dtype=np.int32)  # a copy: sorted in place below
    sort_within(items, indptr)
    order = np.argsort(sizes, kind="stable")
    items, indptr = take_rows(items, indptr, order)
    counts = np.asarray(counts, dtype=np.int64)[order]
    sizes = sizes[order]
    for k in np.unique(sizes):
        lo, hi = np.searchsorted(sizes, [k, k + 1])
        block = items[indptr[lo]:indptr[hi]].reshape(-1, k)
        o = np.lexsort(block.T[::-1])
        block[:] = block[o]
        counts[lo:hi] = counts[lo:hi][o]
    return indptr, items, counts
