"""Business value of the hits at the hidden line's own value (not catalog medians).

``evaluate(truth_value=..., truth_margin=...)`` passes, for every hidden line
of a query, its real value (quantity x unit price paid) and margin
(quantity x (price - cost)). A hit is worth exactly that line:

    hit_value@k  = sum over hits j <= k of truth_value[q, r_j]
    hit_margin@k = sum over hits j <= k of truth_margin[q, r_j]

Both are truth-based (queries without hidden items follow the empty-truth
policy) and are split into repeat / explore parts when ``history`` is given.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from cs_lab.eval.context import EvalContext
from cs_lab.eval.registry import Metric, register_metric


def line_value_sums(ctx: EvalContext, name: str, metric: str, ks: Sequence[int]) -> dict[int, np.ndarray]:
    """Per query, the sum of the hidden lines' ``name`` values over the hits in the top k."""
    at_recs = ctx.line_values(name, metric)
    return ctx.prefix_sums(lambda a, b: at_recs[:, a:b], ks)


@register_metric
class HitValue(Metric):
    """Sum of the real line value (quantity x unit price) of the hidden items hit in the top k."""

    name = "hit_value"
    inputs = ("truth_value",)

    def compute(self, ctx: EvalContext, ks: Sequence[int]) -> dict[int, np.ndarray]:
        return line_value_sums(ctx, "truth_value", self.name, ks)


@register_metric
class HitMargin(Metric):
    """Sum of the real line margin (quantity x (price - cost)) of the hidden items hit in the top k."""

    name = "hit_margin"
    inputs = ("truth_margin",)

    def compute(self, ctx: EvalContext, ks: Sequence[int]) -> dict[int, np.ndarray]:
        return line_value_sums(ctx, "truth_margin", self.name, ks)
