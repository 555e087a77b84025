"""Frequent itemsets by FP-Growth or Apriori over a sparse basket x item matrix.

    from cs_lab.models.rules import fpgrowth
    sets = fpgrowth(train.basket_items, min_support=0.001, max_len=3)
    sets.to_frame(labels=train.items.ids)       # mlxtend-style frame

Both miners take the matrix as CSR and never densify it. Items below the support threshold are
dropped before anything else; FP-Growth then builds one FP-tree of the remaining items and
mines it depth-first (numba kernels in _fptree.py); Apriori goes level by level, counting
candidates on the matrix's sparse columns (_apriori.py). Both return the same
FrequentItemsets, in the same canonical order.
"""

from __future__ import annotations

import logging
import time
from typing import Literal

import numpy as np
import scipy.sparse as sp

from cs_lab.errors import ConfigError
from cs_lab.models.rules._numba import require_numba
from cs_lab.models.rules._prepare import (basket_csr, check_max_len, check_support, frequent_ranks,
                                          min_count, ranked_baskets)
from cs_lab.models.rules.itemsets import FrequentItemsets, canonical

log = logging.getLogger(__name__)

Algorithm = Literal["fpgrowth", "apriori"]
MAX_ITEMSETS = 100_000_000
"""Default cap on the number of itemsets: past it mining stops with a ConfigError instead of
exhausting memory (each itemset costs roughly 8 bytes per item plus 16 bytes)."""


def fpgrowth(basket_items: sp.spmatrix | sp.sparray, min_support: float, max_len: int | None = None,
             *, max_itemsets: int = MAX_ITEMSETS) -> FrequentItemsets:
    """Every itemset held by at least ``min_support`` of the baskets (and of at most ``max_len``
    items), by FP-Growth.

    ``basket_items`` is a (n_baskets, n_items) sparse matrix; any stored non-zero means the
    basket holds the item. Raises ConfigError for thresholds outside their range, or when more
    than ``max_itemsets`` itemsets are frequent (raise min_support or set max_len).
    """
    check_support(min_support)
    check_max_len(max_len)
    require_numba()
    from cs_lab.models.rules._fptree import fpgrowth_kernel

    t0 = time.perf_counter()
    m = basket_csr(basket_items)
    n_baskets, n_items = m.shape
    mc = min_count(min_support, max(n_baskets, 1))
    _, rank_items = frequent_ranks(m, mc)
    indptr, ranks = ranked_baskets(m, rank_items)
    depth = len(rank_items) if max_len is None else min(max_len, max(len(rank_items), 1))
    items, sizes, counts, complete = fpgrowth_kernel(indptr, ranks, rank_items.astype(np.int64), mc,
                                                     depth, max_itemsets)
    if not complete:
        raise _too_many(max_itemsets, min_support, max_len)
    out = _result(items, sizes, counts, n_baskets, n_items, min_support, max_len)
    log.debug("fpgrowth: %d frequent items, %d itemsets in %.2fs", len(rank_items), len(out),
              time.perf_counter() - t0)
    return out


def apriori(basket_items: sp.spmatrix | sp.sparray, min_support: float, max_len: int | None = None,
            *, max_itemsets: int = MAX_ITEMSETS) -> FrequentItemsets:
    """The same itemsets as ``fpgrowth``, found level by level (Apriori; for comparison)."""
    check_support(min_support)
    check_max_len(max_len)
    require_numba()
    from cs_lab.models.rules._apriori import _next_level

    m = basket_csr(basket_items)
    n_baskets, n_items = m.shape
    mc = min_count(min_support, max(n_baskets, 1))
    counts, rank_items = frequent_ranks(m, mc)
    level = np.sort(rank_items).astype(np.int64)[:, None]
    parts_items = [level.ravel()]
    parts_sizes = [np.ones(len(level), np.int64)]
    parts_counts = [counts[level.ravel()]]
    n_out = len(level)
    if n_out > max_itemsets:
        raise _too_many(max_itemsets, min_support, max_len)
    csc = m.tocsc()
    csc.sort_indices()
    col_ptr, col_idx = csc.indptr.astype(np.int64), csc.indices.astype(np.int64)
    marks = np.zeros(n_baskets, dtype=np.int64)
    k = 1
    while len(level) > 1 and (max_len is None or k < max_len):
        level, cnt = _next_level(level, col_ptr, col_idx, marks, mc, max_itemsets, n_out)
        n_out += len(level)
        if n_out > max_itemsets:
            raise _too_many(max_itemsets, min_support, max_len)
        k += 1
        parts_items.append(level.ravel())
        parts_sizes.append(np.full(len(level), k, np.int64))
        parts_counts.append(cnt)
    return _result(np.concatenate(parts_items), np.concatenate(parts_sizes),
                   np.concatenate(parts_counts), n_baskets, n_items, min_support, max_len)


def frequent_itemsets(basket_items: sp.spmatrix | sp.sparray, min_support: float,
                      max_len: int | None = None, algorithm: Algorithm = "fpgrowth",
                      **kwargs) -> FrequentItemsets:
    """``fpgrowth`` or ``apriori`` by name."""
    if algorithm == "fpgrowth":
        return fpgrowth(basket_items, min_support, max_len, **kwargs)
    if algorithm == "apriori":
        return apriori(basket_items, min_support, max_len, **kwargs)
    raise ConfigError(f"algorithm must be 'fpgrowth' or 'apriori', got {algorithm!r}")


def _too_many(limit: int, min_support: float, max_len: int | None) -> ConfigError:
    return ConfigError(f"more than {limit:,} frequent itemsets at min_support={min_support} "
                       f"(max_len={max_len}): raise min_support, set a smaller max_len, or pass "
                       "a larger max_itemsets if there is memory for them")


def _result(items, sizes, counts, n_baskets, n_items, min_support, max_len) -> FrequentItemsets:
    indptr, items, counts = canonical(items, sizes, counts)
    return FrequentItemsets(indptr=indptr, items=items, counts=counts, n_baskets=int(n_baskets),
                            n_items=int(n_items), min_support=float(min_support), max_len=max_len)
