"""Repetition ratio of the recommended list (Li et al., TOIS 2023).

    repeat_share@k = |{j <= k : r_j filled and r_j in history(q)}| / |{j <= k : r_j filled}|

The share of the filled slots of the top k holding an item the query's
customer bought in the training period. NaN for an empty list; 0 for an
anonymous customer (empty history). Not truth-based: every query counts.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from cs_lab.eval.context import EvalContext
from cs_lab.eval.registry import Metric, register_metric


@register_metric
class RepeatShare(Metric):
    """Share of the recommended items in the top k that the customer bought before."""

    name = "repeat_share"
    needs_truth = False
    inputs = ("history",)

    def compute(self, ctx: EvalContext, ks: Sequence[int]) -> dict[int, np.ndarray]:
        repeats = np.cumsum(ctx.in_history & ctx.valid, axis=1, dtype=np.int32)
        out = {}
        for k in ks:
            filled = ctx.at(ctx.n_valid, k)
            with np.errstate(invalid="ignore", divide="ignore"):
                out[k] = np.where(filled > 0, ctx.at(repeats, k) / filled, np.nan)
        return out
