"""Bundle metrics: was the offered bundle bought, and what it earned after its discount.

Computed only when ``evaluate(offers=...)`` says which leading slots of each list are the
offered bundle (models that offer bundles, e.g. ``bundle``; absent for every other model). A
bundle counts at cut-off k only when all its slots are in the top k (an offer is shown whole);
queries with no bundle shown score 0 (the bundle was not bought), so the means are per cart.

    bundle_offered@k      1 if a bundle is shown whole in the top k (every cart counts, hidden items or not)
    bundle_hit@k          1 if any item of the shown bundle is among the hidden items
    full_bundle_hit@k     1 if every item of it is
    bundle_revenue@k      the hidden lines' value (truth_value) of the bundle items bought, after the
                          discount when the whole bundle was bought (the bundle price applies), at
                          full value otherwise (single items bought without the bundle)
    bundle_discount_cost@k  discount x the value of a fully bought bundle (what the discount gives away)
    bundle_margin@k       the hidden lines' margin (truth_margin) of the bundle items bought, minus
                          the discount cost; needs costs (absent on data without them)
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from cs_lab.eval.context import EvalContext
from cs_lab.eval.registry import Metric, register_metric


def bundle_parts(ctx: EvalContext, k: int, metric: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(n, k) bool slots of the bundle shown in the top k, (n,) any hit, (n,) full hit."""
    offers = ctx.require_offers(metric)
    shown = (offers.size > 0) & (offers.size <= k)
    slots = (np.arange(k)[None, :] < offers.size[:, None]) & shown[:, None]
    hit = ctx.hits[:, :k] & slots
    n_hit = hit.sum(axis=1)
    return slots, n_hit > 0, shown & (n_hit == offers.size)


def _line_sum(ctx: EvalContext, name: str, metric: str, slots: np.ndarray, k: int) -> np.ndarray:
    values = ctx.line_values(name, metric)[:, :k]      # the hidden line's value at hits, else 0
    return (values * slots).sum(axis=1)


@register_metric
class BundleOffered(Metric):
    """1 if the list shows a bundle whole in the top k (the share of carts that get an offer)."""

    name = "bundle_offered"
    inputs = ("offers",)
    needs_truth = False

    def compute(self, ctx: EvalContext, ks: Sequence[int]) -> dict[int, np.ndarray]:
        offers = ctx.require_offers(self.name)
        return {k: ((offers.size > 0) & (offers.size <= k)).astype(np.float64) for k in ks}


@register_metric
class BundleHit(Metric):
    """1 if any item of the offered bundle (shown whole in the top k) is among the hidden items."""

    name = "bundle_hit"
    inputs = ("offers",)

    def compute(self, ctx: EvalContext, ks: Sequence[int]) -> dict[int, np.ndarray]:
        return {k: bundle_parts(ctx, k, self.name)[1].astype(np.float64) for k in ks}


@register_metric
class FullBundleHit(Metric):
    """1 if every item of the offered bundle (shown whole in the top k) is among the hidden items."""

    name = "full_bundle_hit"
    inputs = ("offers",)

    def compute(self, ctx: EvalContext, ks: Sequence[int]) -> dict[int, np.ndarray]:
        return {k: bundle_parts(ctx, k, self.name)[2].astype(np.float64) for k in ks}


@register_metric
class BundleRevenue(Metric):
    """Value of the offered bundle's items bought, discounted when the whole bundle was bought."""

    name = "bundle_revenue"
    inputs = ("offers", "truth_value")

    def compute(self, ctx: EvalContext, ks: Sequence[int]) -> dict[int, np.ndarray]:
        out = {}
        for k in ks:
            slots, _, full = bundle_parts(ctx, k, self.name)
            value = _line_sum(ctx, "truth_value", self.name, slots, k)
            out[k] = value - np.where(full, ctx.offers.discount * value, 0.0)
        return out


@register_metric
class BundleDiscountCost(Metric):
    """discount x the hidden lines' value of a fully bought bundle (0 otherwise)."""

    name = "bundle_discount_cost"
    inputs = ("offers", "truth_value")

    def compute(self, ctx: EvalContext, ks: Sequence[int]) -> dict[int, np.ndarray]:
        out = {}
        for k in ks:
            slots, _, full = bundle_parts(ctx, k, self.name)
            out[k] = np.where(full, ctx.offers.discount * _line_sum(ctx, "truth_value", self.name, slots, k), 0.0)
        return out


@register_metric
class BundleMargin(Metric):
    """Margin of the offered bundle's items bought, minus the discount when the whole bundle was bought."""

    name = "bundle_margin"
    inputs = ("offers", "truth_value", "truth_margin")

    def compute(self, ctx: EvalContext, ks: Sequence[int]) -> dict[int, np.ndarray]:
        out = {}
        for k in ks:
            slots, _, full = bundle_parts(ctx, k, self.name)
            margin = _line_sum(ctx, "truth_margin", self.name, slots, k)
            cost = np.where(full, ctx.offers.discount * _line_sum(ctx, "truth_value", self.name, slots, k), 0.0)
            out[k] = margin - cost
        return out
