"""Business metrics at catalog prices: revenue, margin and attach rate of the accepted add-ons.

An add-on is "accepted" when a recommended item in the top k is one of the
query's hidden items (a hit). Here its value is price x typical quantity, both
from the catalog, i.e. priced at the *training-period medians* of each item,
not at what the customer actually paid for the hidden line. For the hidden
line's real value use ``hit_value`` / ``hit_margin`` (metrics/lines.py,
``evaluate(truth_value=..., truth_margin=...)``), which the runner moves to.
Conventions of the catalog pricing:

* NaN price           -> the hit contributes 0 revenue and 0 margin;
* NaN cost            -> the hit contributes 0 margin (revenue still counts);
* quantity None / NaN -> 1 unit.

The summary mean of ``revenue@k`` over queries is the expected add-on value
per cart; ``addon_value`` reports that same number as a global metric.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from cs_lab.eval.context import EvalContext
from cs_lab.eval.registry import Metric, register_metric


def unit_quantity(ctx: EvalContext) -> np.ndarray | float:
    """Typical quantity per item; 1 where unknown."""
    qty = ctx.catalog.quantity if ctx.catalog is not None else None
    return 1.0 if qty is None else np.where(np.isnan(qty), 1.0, qty)


def hit_value_sums(ctx: EvalContext, item_value: np.ndarray, ks: Sequence[int]) -> dict[int, np.ndarray]:
    """Per query, the sum of ``item_value`` over the hits in the top k (NaN values count 0)."""
    lookup = ctx.item_values(np.nan_to_num(item_value, nan=0.0), fill=0.0)
    return ctx.prefix_sums(lambda a, b: ctx.hits[:, a:b] * lookup(a, b), ks)


def line_revenue(ctx: EvalContext, metric: str) -> np.ndarray:
    """price x typical quantity per item (NaN where the price is unknown)."""
    return ctx.require("price", metric) * unit_quantity(ctx)


@register_metric
class Revenue(Metric):
    """Revenue of the hit items in the top k at catalog (training-median) price x typical quantity.

    Not what the customer paid for the hidden line: see ``hit_value`` for that.
    """

    name = "revenue"
    requires = ("price",)

    def compute(self, ctx: EvalContext, ks: Sequence[int]) -> dict[int, np.ndarray]:
        return hit_value_sums(ctx, line_revenue(ctx, self.name), ks)


@register_metric
class Margin(Metric):
    """Margin of the hit items in the top k at catalog (training-median) (price - cost) x typical quantity.

    Known costs only. Not the hidden line's real margin: see ``hit_margin`` for that.
    """

    name = "margin"
    requires = ("price", "cost")

    def compute(self, ctx: EvalContext, ks: Sequence[int]) -> dict[int, np.ndarray]:
        price = ctx.require("price", self.name)
        cost = ctx.require("cost", self.name)
        return hit_value_sums(ctx, (price - cost) * unit_quantity(ctx), ks)


@register_metric
class AttachRate(Metric):
    """1 if at least one recommended item in the top k was bought (mean = share of carts).

    Numerically identical to hit_rate, named for business reports; not computed by default.
    """

    name = "attach_rate"
    default = False

    def compute(self, ctx: EvalContext, ks: Sequence[int]) -> dict[int, np.ndarray]:
        return {k: (ctx.at(ctx.cum_hits, k) > 0).astype(np.float64) for k in ks}


@register_metric
class AddonValue(Metric):
    """Expected add-on value per cart at catalog (training-median) prices: mean revenue@k."""

    name = "addon_value"
    scope = "global"
    requires = ("price",)

    def compute(self, ctx: EvalContext, ks: Sequence[int]) -> dict[int, float]:
        sums = hit_value_sums(ctx, line_revenue(ctx, self.name), ks)
        mask = ctx.evaluated
        return {k: float(sums[k][mask].mean()) if mask.any() else float("nan") for k in ks}
