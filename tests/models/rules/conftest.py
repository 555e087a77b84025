"""Fixtures of the association-rules tests: small random baskets with a brute-force reference,
and Groceries (integration) with its bool DataFrame for mlxtend."""

from __future__ import annotations

from itertools import combinations

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from cs_lab.data.interactions import Interactions


def random_baskets(n_baskets: int, n_items: int, density: float, seed: int) -> sp.csr_matrix:
    """A random binary basket x item matrix with a few correlated items (deterministic)."""
    rng = np.random.default_rng(seed)
    p = rng.uniform(0.2, 1.8, n_items) * density
    x = rng.random((n_baskets, n_items)) < p
    x[:, 1] |= x[:, 0] & (rng.random(n_baskets) < 0.6)  # item 0 pulls item 1
    return sp.csr_matrix(x.astype(np.float32))


def brute_force(x: sp.csr_matrix, min_support: float, max_len: int | None = None
                ) -> dict[frozenset, int]:
    """Every itemset with support >= min_support, by enumeration (small inputs only)."""
    d = x.toarray() > 0
    n, m = d.shape
    out = {}
    for k in range(1, (max_len or m) + 1):
        found = False
        for c in combinations(range(m), k):
            cnt = int(d[:, list(c)].all(axis=1).sum())
            if cnt / n >= min_support:
                out[frozenset(c)] = cnt
                found = True
        if not found:
            break
    return out


def as_dict(sets) -> dict[frozenset, int]:
    return {frozenset(sets.itemset(s).tolist()): int(sets.counts[s]) for s in range(len(sets))}


@pytest.fixture(scope="session")
def groceries(real_dataset):
    """(Interactions, bool DataFrame with item-id columns) of Groceries; skipped when absent."""
    ds = real_dataset("groceries")
    train = Interactions.from_lines(ds.lines)
    frame = pd.DataFrame(train.basket_items.toarray() > 0, columns=[str(i) for i in train.items.ids])
    return train, frame
