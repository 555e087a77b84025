"""Cross-sell tactics in the A/B simulation: discounted bundles and order-threshold nudges.

An arm may carry, besides its offers (cs_lab.simulate.arms),

  discounts  (n_sessions, k) discount fraction per offered slot (a bundle's items at 10 % off -> 0.1),
             0 where the slot is not discounted (a bundle model's ``slot_discounts(ids)``);
  threshold  an order threshold T with its benefit: ``free_delivery`` (the fee ``amount`` is waived)
             or ``tier_discount`` (the whole order gets ``amount`` off), paid on every order of the arm
             whose goods reach T.

Acceptance of a discounted offer (slot p, discount d) is scaled by the discount response r:

    P(accept) = min(1, examination(p) x take x (1 + r x d))

r is the relative rise of the take rate per unit of discount (r = 2.6: 10 % off -> +26 % takes). No
data in cs_lab estimates it for an on-site offer; it is the stated assumption
``assumption.discount_response`` (priors/data/assumptions.json), drawn in the parameter bootstrap, or
fixed by ``simulation.discount_response`` (e.g. to show the lift over its range).

Money per session (line values v_h = quantity x unit price of the hidden line h; d_h the discount of
the slot h is offered in, 0 when not offered or not accepted):

    addon_revenue   = sum_bought v_h - sum_accepted d_h v_h          (the customer pays the discounted price,
                                                                       also for an item it would have bought anyway)
    discount_cost   = sum_accepted d_h v_h
    goods           = cart_value + addon_revenue
    reached         = the arm has a threshold and goods >= T
    benefit_cost    = reached x fee  |  reached x rate x goods
    order_value     = goods - (tier discount paid)
    addon margin    = sum_bought (v_h - cost_h)   or, without unit costs, margin_rate x sum_bought v_h (ASSUMED)
    net_margin      = addon margin - discount_cost - benefit_cost

The cart's own margin is the same in every arm and left out, so net_margin differences between arms
are the tactic's incremental margin.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from cs_lab.errors import ConfigError, DataError
from cs_lab.eval.metrics.threshold import check_threshold

RESPONSE = "assumption.discount_response"


@dataclass(frozen=True)
class ThresholdOffer:
    """T and its benefit (see the module docstring)."""

    value: float
    benefit: Literal["free_delivery", "tier_discount"] = "free_delivery"
    amount: float = 0.0

    def __post_init__(self) -> None:
        check_threshold(self.value, self.benefit, self.amount)

    @classmethod
    def of(cls, value) -> "ThresholdOffer | None":
        if value is None or isinstance(value, cls):
            return value
        return cls(**dict(value))


@dataclass
class SessionTerms:
    """Per-session threshold terms of the assigned arms: T (inf = no threshold), fee, tier rate."""

    T: np.ndarray
    fee: np.ndarray
    tier: np.ndarray

    @classmethod
    def build(cls, arm: np.ndarray, thresholds: list[ThresholdOffer | None]) -> "SessionTerms":
        k = len(thresholds)
        T, fee, tier = np.full(k, np.inf), np.zeros(k), np.zeros(k)
        for a, t in enumerate(thresholds):
            if t is not None:
                T[a] = t.value
                (fee if t.benefit == "free_delivery" else tier)[a] = t.amount
        return cls(T[arm], fee[arm], tier[arm])

    @property
    def any(self) -> bool:
        return bool(np.isfinite(self.T).any())


def check_discounts(d: np.ndarray, n: int, slots: int, name: str) -> np.ndarray:
    """(n, slots) float discounts, 0-padded; errors name the arm."""
    d = np.asarray(d, dtype=np.float64)
    if d.ndim != 2 or d.shape[0] != n:
        raise DataError(f"arm {name!r}: discounts must be (n_sessions={n}, k), got shape {d.shape}",
                        hint="one discount fraction per recommended slot, aligned with the ids")
    if not (np.isfinite(d) & (d >= 0) & (d < 1)).all():
        raise DataError(f"arm {name!r}: discounts must be fractions in [0, 1) (0.1 = 10 % off)")
    d = d[:, :slots]
    if d.shape[1] < slots:
        d = np.hstack([d, np.zeros((n, slots - d.shape[1]))])
    return d


def line_discounts(discounts: list[np.ndarray | None], arm: np.ndarray, line_session: np.ndarray,
                   pos: np.ndarray) -> np.ndarray:
    """(m,) discount of the slot each hidden line is offered in (0: not offered or no discount)."""
    out = np.zeros(len(line_session))
    line_arm = arm[line_session]
    for a, d in enumerate(discounts):
        if d is None:
            continue
        sel = np.flatnonzero((line_arm == a) & (pos > 0))
        out[sel] = d[line_session[sel], pos[sel] - 1]
    return out


def session_money(per_session, line_value: np.ndarray, line_margin: np.ndarray | None, bought: np.ndarray,
                  accepted: np.ndarray, d_line: np.ndarray, cart_value: np.ndarray, terms: SessionTerms | None
                  ) -> dict[str, np.ndarray]:
    """The money outcomes of the module docstring. ``bought`` / ``accepted`` are (m,) or (m, b) masks;
    ``per_session`` sums a line array of the same shape per session; ``line_margin`` (m,) per-line
    add-on margin (costs or margin_rate x value), None when unknown."""
    shape = (-1,) + (1,) * (bought.ndim - 1)
    v = line_value.reshape(shape)
    dv = (d_line * line_value).reshape(shape)
    disc = per_session(np.where(accepted, dv, 0.0))
    revenue = per_session(np.where(bought, v, 0.0)) - disc
    cshape = (-1,) + (1,) * (bought.ndim - 1)
    goods = cart_value.reshape(cshape) + revenue
    if terms is not None and terms.any:
        reached = goods >= terms.T.reshape(cshape)
        tier_paid = np.where(reached, terms.tier.reshape(cshape) * goods, 0.0)
        benefit = np.where(reached, terms.fee.reshape(cshape), 0.0) + tier_paid
    else:
        reached = np.zeros(goods.shape, dtype=bool)
        tier_paid = benefit = np.zeros(goods.shape)
    out = {"addon_revenue": revenue, "discount_cost": disc, "benefit_cost": benefit,
           "threshold_reached": reached, "order_value": goods - tier_paid}
    if line_margin is None:
        out["net_margin"] = np.full(goods.shape, np.nan)
    else:
        out["net_margin"] = per_session(np.where(bought, line_margin.reshape(shape), 0.0)) - disc - benefit
    return out


@dataclass
class DiscountResponse:
    """r at its point value and B draws; ``source`` one row for the rates table."""

    value: float
    draws: np.ndarray
    source: dict


def discount_response(fixed: float | None, n_draws: int, seed: int, priors=None) -> DiscountResponse:
    """r fixed by the config, else the prior ``assumption.discount_response`` (drawn B times, seeded)."""
    if fixed is not None:
        src = {"name": "discount_response", "role": "discount response (configured)", "value": fixed, "se": 0.0,
               "ci_low": fixed, "ci_high": fixed, "distribution": "fixed",
               "source": "simulation.discount_response (configured)", "assumption": True, "n": None}
        return DiscountResponse(float(fixed), np.full(n_draws, float(fixed)), src)
    from cs_lab.simulate.priors import load_priors

    ps = priors if priors is not None else load_priors()
    if RESPONSE not in ps:
        raise ConfigError(f"no prior {RESPONSE!r} (cs_lab/simulate/priors/data/assumptions.json) and no "
                          "simulation.discount_response: set one")
    p = ps[RESPONSE]
    rng = np.random.default_rng(np.random.SeedSequence([seed, 0xD15C]))
    draws = p.draw(rng, n_draws) if n_draws > 0 else np.empty(0)
    src = {"name": p.name, "role": "discount response: relative rise of the take rate per unit discount",
           "value": p.value, "se": p.se, "ci_low": p.ci_low, "ci_high": p.ci_high, "distribution": p.distribution,
           "source": p.source, "assumption": p.assumption, "n": p.n}
    return DiscountResponse(float(p.value), np.maximum(draws, 0.0), src)


def add_source(sources: pd.DataFrame, row: dict) -> pd.DataFrame:
    return pd.concat([sources, pd.DataFrame([row])], ignore_index=True) if len(sources) else pd.DataFrame([row])
