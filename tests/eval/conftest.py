"""Shared random inputs for the evaluation tests."""

from __future__ import annotations

import numpy as np
import pytest


def random_case(seed: int, n_queries: int = 200, n_items: int = 60, width: int = 12,
                max_truth: int = 25, empty_share: float = 0.0) -> tuple[np.ndarray, list[np.ndarray]]:
    """Random padded recommendations and truth lists.

    Lists have 0..width items (so some are shorter than K and some empty);
    truth has 1..max_truth items (often more than K), a share of queries can
    have empty truth. Items are drawn from a small catalog so hits are common.
    """
    rng = np.random.default_rng(seed)
    recs = np.full((n_queries, width), -1, dtype=np.int64)
    truth = []
    for q in range(n_queries):
        length = int(rng.integers(0, width + 1))
        recs[q, :length] = rng.choice(n_items, size=length, replace=False)
        size = 0 if rng.random() < empty_share else int(rng.integers(1, max_truth + 1))
        # bias truth towards recommended items so that hits happen at every rank
        pool = np.unique(np.concatenate([recs[q, :length], rng.choice(n_items, size=size)]))
        truth.append(rng.choice(pool, size=min(size, pool.size), replace=False) if size else
                     np.zeros(0, dtype=np.int64))
    return recs, truth


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(12345)
