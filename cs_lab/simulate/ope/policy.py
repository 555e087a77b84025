"""A context-free policy's action distribution pi(a, k) over (item, slot), read from its own log,
and the support check of an evaluation policy against a logging policy's log.

Bernoulli Thompson Sampling as run in the Open Bandit Dataset ignores the user, but it is not
stationary (its Beta posteriors were updated during the week), so the value its log measures is
that of its time-averaged policy  pi_bar(a | k) = E_t[pi_t(a | k)]. Two estimates of it from the log:

``frequency``  share of the log's rounds at slot k that show item a. Unbiased for pi_bar(a | k):
               each round's item is a draw from pi_t(. | k).
``pscore``     mean logged propensity of item a at slot k over the rounds that show it, normalised
               per slot. Size-biased: a round shows a mostly when pi_t(a | k) is high, so this
               over-weights the items BTS was sure about. Kept as a sensitivity check.

Either way the estimate carries sampling noise from the BTS log (most (item, slot) cells have a
few dozen rounds); the pipeline re-estimates it in every bootstrap replicate so that noise is in
the intervals.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from cs_lab.errors import DataError

PolicyEstimate = Literal["frequency", "pscore"]


def action_distribution(action: np.ndarray, position: np.ndarray, n_items: int, len_list: int,
                        method: PolicyEstimate = "frequency", pscore: np.ndarray | None = None,
                        weights: np.ndarray | None = None) -> np.ndarray:
    """pi(a, k), shape (n_items, len_list), each column summing to 1. ``weights``: bootstrap counts per round."""
    w = np.ones(len(action)) if weights is None else np.asarray(weights, dtype=np.float64)
    cell = action * len_list + position
    if method == "frequency":
        mass = np.bincount(cell, weights=w, minlength=n_items * len_list)
    elif method == "pscore":
        if pscore is None:
            raise DataError("method 'pscore' needs the log's propensities")
        num = np.bincount(cell, weights=w * pscore, minlength=n_items * len_list)
        den = np.bincount(cell, weights=w, minlength=n_items * len_list)
        mass = np.divide(num, den, out=np.zeros_like(num), where=den > 0)
    else:
        raise DataError(f"unknown policy estimate {method!r}; use 'frequency' or 'pscore'")
    mass = mass.reshape(n_items, len_list)
    tot = mass.sum(axis=0)
    if (tot <= 0).any():
        raise DataError(f"the evaluation policy's log has no round at slot(s) {list(np.flatnonzero(tot <= 0) + 1)}")
    return mass / tot


@dataclass
class Support:
    """unsupported_mass: share of the evaluation policy's mass (weighted by the logging log's slot mix)
    on (item, slot) cells the logging log never shows; cells: those cells as (item, slot 1-based)."""

    unsupported_mass: float
    cells: list[tuple[int, int]]
    n_cells_used: int

    @property
    def ok(self) -> bool:
        return not self.cells

    def to_dict(self) -> dict:
        return {"unsupported_mass": self.unsupported_mass, "unsupported_cells": [list(c) for c in self.cells],
                "n_cells_used": self.n_cells_used, "ok": self.ok}


def support_check(pi: np.ndarray, action: np.ndarray, position: np.ndarray, pscore: np.ndarray) -> Support:
    """Every (item, slot) with pi > 0 needs a positive logging propensity, i.e. must appear in the
    logging log with pscore > 0 (the log is the evidence of support we have)."""
    n_items, len_list = pi.shape
    seen = np.zeros((n_items, len_list), dtype=bool)
    ok = pscore > 0
    seen[action[ok], position[ok]] = True
    slot_share = np.bincount(position, minlength=len_list) / max(len(position), 1)
    missing = (pi > 0) & ~seen
    mass = float((pi * missing * slot_share[None, :]).sum())
    cells = [(int(a), int(k) + 1) for a, k in np.argwhere(missing)]
    return Support(mass, cells, int((pi > 0).sum()))
