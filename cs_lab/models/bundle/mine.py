"""Mining candidate bundles: frequent itemsets of 2..max_size items with a high lift.

    bundles = mine_bundles(train.basket_items, min_support=0.005, min_lift=2.0, max_size=3,
                           category=train.item_categories.get("category_1"))

The itemsets come from the repo's own FP-Growth (cs_lab.models.rules.mining); this module only
filters and ranks them. A bundle S is scored by the weakest of the rules it implies,

    lift(S) = min over items i of S:  support(S) / (support(S without i) x support(i))

the lift of the rule (S without i) -> i, each item's pull towards the rest. For a pair this is the
classic lift; for a triple it asks that every item add to the other two (the plain
support(S) / prod support(i) would rank any triple containing one strong pair above every pair).
The subsets of a frequent set are frequent, so their supports come from the same mining run.
With ``category`` (one code per item, -1 unknown) a bundle's items must come
from pairwise different categories (complements, not substitutes); items of unknown category are
never considered equal to each other. Bundles are ranked by lift, then support, then size (larger
first), then their item indices (so the order is fully determined).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from cs_lab.errors import ConfigError
from cs_lab.models.rules.mining import fpgrowth


@dataclass(frozen=True, eq=False)
class Bundles:
    """Candidate bundles in rank order (best first).

    indptr   (n + 1,) int64: bundle b is items[indptr[b]:indptr[b+1]] (item indices, increasing)
    items    int64 item indices
    support  (n,) share of training baskets holding every item of the bundle
    lift     (n,) support / product of the items' supports
    """

    indptr: np.ndarray
    items: np.ndarray
    support: np.ndarray
    lift: np.ndarray

    def __len__(self) -> int:
        return len(self.support)

    @property
    def sizes(self) -> np.ndarray:
        return np.diff(self.indptr)

    def bundle(self, b: int) -> np.ndarray:
        return self.items[self.indptr[b]:self.indptr[b + 1]]

    def matrix(self, n_items: int) -> sp.csr_matrix:
        """(n_bundles, n_items) CSR, 1.0 where the bundle holds the item."""
        return sp.csr_matrix((np.ones(len(self.items)), self.items, self.indptr), shape=(len(self), n_items))

    def take(self, keep: np.ndarray) -> "Bundles":
        """The bundles where ``keep`` (bool mask or indices), in their current order."""
        idx = np.flatnonzero(keep) if np.asarray(keep).dtype == bool else np.asarray(keep, dtype=np.int64)
        size = self.sizes[idx]
        indptr = np.zeros(len(idx) + 1, dtype=np.int64)
        np.cumsum(size, out=indptr[1:])
        gather = np.repeat(self.indptr[idx] - indptr[:-1], size) + np.arange(indptr[-1])
        return Bundles(indptr, self.items[gather].astype(np.int64), self.support[idx], self.lift[idx])


def mine_bundles(basket_items: sp.spmatrix, min_support: float, min_lift: float = 1.0, max_size: int = 3,
                 category: np.ndarray | None = None, max_bundles: int | None = None) -> Bundles:
    """Bundles of 2..``max_size`` items held together by at least ``min_support`` of the baskets,
    with lift >= ``min_lift``, items of pairwise different ``category`` (when given), best lift
    first, at most ``max_bundles`` of them."""
    if max_size < 2:
        raise ConfigError(f"max_size must be at least 2 (a bundle has 2 or more items), got {max_size}")
    m = sp.csr_matrix(basket_items)
    n_baskets, n_items = m.shape
    if category is not None and len(category) != n_items:
        raise ConfigError(f"category has {len(category)} codes for {n_items} items")
    sets = fpgrowth(m, min_support, max_size)
    sizes = sets.sizes
    multi = np.flatnonzero(sizes >= 2)
    if not len(multi) or n_baskets == 0:
        return Bundles(np.zeros(1, np.int64), np.zeros(0, np.int64), np.zeros(0), np.zeros(0))
    offsets, items = sets.gather(multi)
    items = items.astype(np.int64)
    support = sets.support[multi]
    lift = _min_rule_lift(sets, multi, offsets, items, support)
    keep = lift >= min_lift * (1 - 1e-12)
    if category is not None:
        keep &= _distinct_categories(np.asarray(category, dtype=np.int64), items, offsets)
    out = Bundles(offsets, items, support, lift).take(keep)
    order = _rank(out)
    if max_bundles is not None:
        order = order[:max_bundles]
    return out.take(order)


def _min_rule_lift(sets, multi: np.ndarray, offsets: np.ndarray, items: np.ndarray,
                   support: np.ndarray) -> np.ndarray:
    """Per set S: min over i in S of support(S) / (support(S - i) x support(i))."""
    size = np.diff(offsets)
    lift = np.full(len(multi), np.inf)
    for s in np.unique(size):
        sel = np.flatnonzero(size == s)
        block = items[offsets[sel][:, None] + np.arange(s)]
        for drop in range(s):
            rest = np.delete(block, drop, axis=1)
            rest_support = _supports(sets, rest)
            single_support = _supports(sets, block[:, [drop]])
            lift[sel] = np.minimum(lift[sel], support[sel] / (rest_support * single_support))
    return lift


def _supports(sets, rows: np.ndarray) -> np.ndarray:
    """Support of each row of ``rows`` (item sets of one size, items increasing), looked up among
    the frequent sets (every subset of a frequent set is one)."""
    k = rows.shape[1]
    b = sets.bounds
    lo, hi = int(b[k]), int(b[k + 1])
    table = sets.items[sets.indptr[lo]:sets.indptr[hi]].reshape(-1, k).astype(np.int64)
    n_items = max(int(sets.n_items), 1)
    key_table = np.zeros(len(table), dtype=np.int64)
    key_rows = np.zeros(len(rows), dtype=np.int64)
    for j in range(k):                      # sets are in lexicographic order: keys are sorted
        key_table = key_table * n_items + table[:, j]
        key_rows = key_rows * n_items + rows[:, j]
    pos = np.minimum(np.searchsorted(key_table, key_rows), max(len(key_table) - 1, 0))
    if len(key_rows) and (not len(key_table) or not np.array_equal(key_table[pos], key_rows)):
        raise RuntimeError("a subset of a frequent itemset is missing from the mining result")
    return sets.support[lo + pos]


def _distinct_categories(category: np.ndarray, items: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """(n_sets,) True where no two items of the set share a known category."""
    cat = category[items]
    n = len(offsets) - 1
    ok = np.ones(n, dtype=bool)
    size = np.diff(offsets)
    for s in np.unique(size):
        sel = np.flatnonzero(size == s)
        block = cat[offsets[sel][:, None] + np.arange(s)]
        for a in range(s):
            for b in range(a + 1, s):
                ok[sel] &= ~((block[:, a] == block[:, b]) & (block[:, a] >= 0))
    return ok


def _rank(b: Bundles) -> np.ndarray:
    """Indices in rank order: lift desc, support desc, size desc (a triple always bought with its
    pair completes more of the basket), then the item indices (padded, ascending)."""
    if not len(b):
        return np.zeros(0, dtype=np.int64)
    width = int(b.sizes.max())
    pad = np.full((len(b), width), -1, dtype=np.int64)
    rows = np.repeat(np.arange(len(b)), b.sizes)
    pad[rows, np.arange(len(b.items)) - np.repeat(b.indptr[:-1], b.sizes)] = b.items
    keys = [pad[:, j] for j in range(width - 1, -1, -1)] + [-b.sizes, -b.support, -b.lift]
    return np.lexsort(keys)
