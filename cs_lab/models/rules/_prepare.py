"""Input checks and the preparation shared by FP-Growth and Apriori (NumPy only)."""

from __future__ import annotations

import math

import numpy as np
import scipy.sparse as sp

from cs_lab.errors import ConfigError, DataError


def _is_number(v: object) -> bool:
    return isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool)


def check_support(min_support: object) -> None:
    """ConfigError unless 0 < min_support <= 1."""
    if not (_is_number(min_support) and 0.0 < float(min_support) <= 1.0):
        raise ConfigError(f"min_support must be a fraction of baskets in (0, 1], got {min_support!r}")


def check_max_len(max_len: object) -> None:
    """ConfigError unless max_len is None (no limit) or a positive integer."""
    if max_len is not None and not (isinstance(max_len, (int, np.integer)) and not isinstance(max_len, bool)
                                    and max_len >= 1):
        raise ConfigError(f"max_len must be a positive integer or None (no limit), got {max_len!r}")


def check_confidence(min_confidence: object) -> None:
    """ConfigError unless 0 <= min_confidence <= 1."""
    if not (_is_number(min_confidence) and 0.0 <= float(min_confidence) <= 1.0):
        raise ConfigError(f"min_confidence must be in [0, 1], got {min_confidence!r}")


def min_count(min_support: float, n_baskets: int) -> int:
    """The smallest basket count c >= 1 with c / n_baskets >= min_support (in float64).

    This is exactly the set of itemsets whose support, computed as count / n, passes the
    threshold (mlxtend's final filter), without the float rounding of ceil(min_support * n).
    """
    c = max(1, math.ceil(min_support * n_baskets))
    while c > 1 and (c - 1) / n_baskets >= min_support:
        c -= 1
    while c / n_baskets < min_support:
        c += 1
    return c


def basket_csr(basket_items: sp.spmatrix | sp.sparray) -> sp.csr_matrix:
    """``basket_items`` as CSR with sorted, unique column indices and no stored zeros.

    Any stored non-zero value means "the basket holds the item". The caller's matrix is never
    modified (a copy is made only when it needs cleaning) and never densified.
    """
    if not sp.issparse(basket_items):
        raise DataError(f"basket_items must be a scipy sparse (n_baskets, n_items) matrix, got "
                        f"{type(basket_items).__name__}",
                        hint="build it with cs_lab.data.interactions.Interactions.from_lines(lines)")
    if basket_items.ndim != 2:
        raise DataError(f"basket_items must be 2-D, got shape {basket_items.shape}")
    m = sp.csr_matrix(basket_items)
    if not m.has_canonical_format or (m.data == 0).any():
        m = m.copy()
        m.sum_duplicates()
        m.eliminate_zeros()
    return m


def frequent_ranks(m: sp.csr_matrix, min_cnt: int) -> tuple[np.ndarray, np.ndarray]:
    """(item counts, rank_items): frequent items by decreasing count, ties by item index."""
    counts = np.bincount(m.indices, minlength=m.shape[1]).astype(np.int64)
    freq = np.flatnonzero(counts >= min_cnt)
    return counts, freq[np.lexsort((freq, -counts[freq]))]


def ranked_baskets(m: sp.csr_matrix, rank_items: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each basket's frequent items as ranks sorted increasing: (indptr int64, ranks int32).

    Infrequent items are dropped before any tree is built.
    """
    n_baskets, n_items = m.shape
    rank = np.full(n_items, -1, dtype=np.int64)
    rank[rank_items] = np.arange(len(rank_items))
    r = rank[m.indices]
    keep = r >= 0
    rows = np.repeat(np.arange(n_baskets, dtype=np.int64), np.diff(m.indptr))[keep]
    r = r[keep]
    order = np.lexsort((r, rows))
    indptr = np.zeros(n_baskets + 1, dtype=np.int64)
    np.cumsum(np.bincount(rows, minlength=n_baskets), out=indptr[1:])
    return indptr, r[order].astype(np.int32)
