"""Order-threshold metrics: does the cart plus the accepted add-ons reach a threshold T, and what is
that worth to the retailer once the threshold's benefit is paid?

Offline, an add-on is accepted when it is a hit (a recommended item among the hidden items in the top
k), worth the hidden line's real value (``truth_value``). Per query, with v the visible cart's value
(``cart_value``) and A@k the summed value of the accepted add-ons (= ``hit_value@k``):

    goods@k                = v + A@k
    threshold_reached@k    = 1 if goods@k >= T                      (mean: share of carts reaching T)
    threshold_crossed@k    = 1 if v < T <= goods@k                  (reached thanks to the add-ons)
    benefit_cost@k         = reached x fee                          (free_delivery: the fee waived)
                           = reached x rate x goods@k               (tier_discount: the order discount)
    order_value_lift@k     = A@k - (tier discount paid, if any)     (what the customer pays on top of v)
    net_margin@k           = add-on margin - benefit_cost@k

The add-on margin is the hidden lines' real margin (``truth_margin``) when the data has unit costs,
else ``margin_rate`` x A@k: an ASSUMED margin rate (Online Retail and The Complete Journey carry no
unit cost). The benefit is paid on every order that reaches T, also on carts already over T: that cost
is the same for every recommender, so differences between models are the incremental effect.

These metrics take their terms (T, benefit, margin rate) and are passed to ``evaluate`` as instances
(``threshold_metrics(terms)``); they are not registered defaults.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar, Literal

import numpy as np

from cs_lab.errors import ConfigError
from cs_lab.eval.context import EvalContext
from cs_lab.eval.metrics.lines import line_value_sums
from cs_lab.eval.registry import Metric


def check_threshold(value: float, benefit: str, amount: float) -> None:
    """A threshold T > 0 with a known benefit and a valid amount (shared with the simulation's arms)."""
    if not value > 0:
        raise ConfigError(f"threshold value must be > 0, got {value}")
    if benefit not in ("free_delivery", "tier_discount"):
        raise ConfigError(f"threshold benefit must be free_delivery or tier_discount, got {benefit!r}")
    if amount < 0 or (benefit == "tier_discount" and amount >= 1):
        raise ConfigError(f"threshold amount {amount} invalid for {benefit} "
                          "(a fee >= 0, or a discount fraction in [0, 1))")


@dataclass(frozen=True)
class ThresholdTerms:
    """value: T; benefit: free_delivery (amount = fee) or tier_discount (amount = order discount
    fraction); margin_rate: assumed margin / revenue of an add-on when the data has no unit cost."""

    value: float
    benefit: Literal["free_delivery", "tier_discount"] = "free_delivery"
    amount: float = 0.0
    margin_rate: float | None = None

    def __post_init__(self) -> None:
        check_threshold(self.value, self.benefit, self.amount)
        if self.margin_rate is not None and not 0 <= self.margin_rate <= 1:
            raise ConfigError(f"margin_rate must be in [0, 1], got {self.margin_rate}")


def threshold_outcomes(cart: np.ndarray, addon: np.ndarray, addon_margin: np.ndarray, terms: ThresholdTerms
                       ) -> dict[str, np.ndarray]:
    """The per-query quantities of the module docstring from plain arrays (also used by tests)."""
    goods = cart + addon
    reached = goods >= terms.value
    if terms.benefit == "free_delivery":
        cost = np.where(reached, terms.amount, 0.0)
        discount = np.zeros_like(goods)
    else:
        cost = np.where(reached, terms.amount * goods, 0.0)
        discount = cost
    return {"threshold_reached": reached.astype(np.float64),
            "threshold_crossed": ((cart < terms.value) & reached).astype(np.float64),
            "benefit_cost": cost, "order_value_lift": addon - discount, "net_margin": addon_margin - cost}


class _ThresholdMetric(Metric):
    name: ClassVar[str]

    def __init__(self, terms: ThresholdTerms, use_truth_margin: bool | None = None) -> None:
        self.terms = terms
        self.use_truth_margin = use_truth_margin
        self.inputs = ("truth_value", "cart_value") + (("truth_margin",) if use_truth_margin else ())

    def compute(self, ctx: EvalContext, ks: Sequence[int]) -> dict[int, np.ndarray]:
        addon = line_value_sums(ctx, "truth_value", self.name, ks)
        margin_given = ctx.truth_margin is not None if self.use_truth_margin is None else self.use_truth_margin
        if margin_given:
            margin = line_value_sums(ctx, "truth_margin", self.name, ks)
        elif self.terms.margin_rate is not None:
            margin = {k: self.terms.margin_rate * addon[k] for k in ks}
        elif self.name == "net_margin":
            raise ConfigError("net_margin needs unit costs (truth_margin) or an assumed margin_rate")
        else:
            margin = {k: np.zeros_like(addon[k]) for k in ks}
        cart = ctx.cart_value
        return {k: threshold_outcomes(cart, addon[k], margin[k], self.terms)[self.name] for k in ks}


class ThresholdReached(_ThresholdMetric):
    name = "threshold_reached"


class ThresholdCrossed(_ThresholdMetric):
    name = "threshold_crossed"


class BenefitCost(_ThresholdMetric):
    name = "benefit_cost"


class OrderValueLift(_ThresholdMetric):
    name = "order_value_lift"


class NetMargin(_ThresholdMetric):
    name = "net_margin"


def threshold_metrics(terms: ThresholdTerms, *, has_truth_margin: bool = False) -> list[Metric]:
    """The five threshold metrics for ``evaluate(metrics=[...], cart_value=..., truth_value=...)``;
    net_margin only when it is defined (unit costs or a margin rate)."""
    classes = [ThresholdReached, ThresholdCrossed, BenefitCost, OrderValueLift]
    if has_truth_margin or terms.margin_rate is not None:
        classes.append(NetMargin)
    return [c(terms, use_truth_margin=has_truth_margin) for c in classes]
