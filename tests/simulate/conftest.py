from __future__ import annotations

import numpy as np
import pytest

from cs_lab.simulate.synthetic import synthetic_sessions


@pytest.fixture(scope="session")
def syn():
    """3,000 synthetic sessions (>= 1 hidden item each, prices, costs, pre-period spend)."""
    return synthetic_sessions(3000, n_items=500, seed=7)


def oracle_recs(data, slots: int = 5) -> np.ndarray:
    """String recs that show one hidden item of each session in the top slot, other slots empty."""
    first = np.unique(data.truth_session, return_index=True)[1]
    recs = np.full((len(data.sessions), slots), None, dtype=object)
    recs[:, 0] = data.truth["item_id"].to_numpy(dtype=object)[first]
    return recs


def miss_recs(data, slots: int = 5) -> np.ndarray:
    """String recs of items that are nobody's hidden item."""
    return np.array([[f"NOPE{j}" for j in range(slots)]] * len(data.sessions), dtype=object)
