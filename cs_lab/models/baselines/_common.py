"""Helpers shared by the baselines: score arrangements that keep one ordering above another."""

from __future__ import annotations

import numpy as np


def tie_break(popularity: np.ndarray) -> np.ndarray:
    """Popularity scaled into [0, 1): added to an integer-valued score it breaks ties by popularity
    without ever overtaking a one-unit difference."""
    pop = np.asarray(popularity, dtype=np.float64)
    top = float(pop.max()) if pop.size else 0.0
    return pop / (top + 1.0)


def seen_items(popularity: np.ndarray) -> np.ndarray:
    """Boolean mask of items that occur in training."""
    return np.asarray(popularity) > 0
