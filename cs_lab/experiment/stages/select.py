"""Stage 7a: choose the winner on validation only -- the mean of the primary objective over every
window's validation carts, in the metric's direction. The test set plays no part."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cs_lab.experiment.metric_names import direction
from cs_lab.experiment.stages.evaluate import ModelScores


@dataclass
class Selection:
    objective: str
    direction: str                 # "maximize" / "minimize"
    valid: dict[str, float]        # model -> mean validation objective over windows
    ranking: list[str]             # best first (ties: spec order)

    @property
    def winner(self) -> str:
        return self.ranking[0]


def select(scores: dict[str, ModelScores], objective: str) -> Selection:
    d = direction(objective)
    valid = {n: float(np.nanmean(s.valid_values(objective))) for n, s in scores.items()}
    sign = -1.0 if d == "maximize" else 1.0
    order = list(scores)
    key = {n: (sign * v if np.isfinite(v) else np.inf, order.index(n)) for n, v in valid.items()}
    return Selection(objective, d, valid, sorted(valid, key=key.__getitem__))
