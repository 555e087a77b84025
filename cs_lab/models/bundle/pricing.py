"""Bundle prices and the guardrails that apply to them.

A bundle's list value is the sum of its items' line values, price x typical quantity (the
training medians; quantity 1 where unknown), the same item value the guardrails use for a cart.
The bundle is sold at ``discount`` off that sum:

    bundle price   = (1 - discount) x sum_i price_i q_i
    margin after   = sum_i (price_i - cost_i) q_i - discount x sum_i price_i q_i

Guardrails, as for items (cs_lab/models/business/guardrails.py):
  margin floor   a bundle whose margin after the discount is below floor x bundle price is dropped
                 (at fit time); bundles with an item of unknown cost pass unless unknown_cost="block"
  price cap      per cart: the offered items' discounted price <= cap x cart value (applied when
                 the bundle is offered, see offers.py); carts with no priced item are not capped
Bundles with an item of unknown price are never offered (their price cannot be stated).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cs_lab.models.bundle.mine import Bundles


@dataclass(frozen=True)
class BundlePrices:
    """Per bundle: list value, price after the discount, margin after it (NaN when a cost is unknown)."""

    value: np.ndarray
    price: np.ndarray
    margin: np.ndarray


def item_line_value(price: np.ndarray, quantity: np.ndarray) -> np.ndarray:
    """price x typical quantity per item (quantity 1 where unknown or not positive); NaN without a price."""
    q = np.where(np.isfinite(quantity) & (quantity > 0), quantity, 1.0)
    return np.asarray(price, dtype=np.float64) * q


def price_bundles(bundles: Bundles, price: np.ndarray, cost: np.ndarray, quantity: np.ndarray,
                  discount: float) -> BundlePrices:
    q = np.where(np.isfinite(quantity) & (quantity > 0), quantity, 1.0)
    row = np.repeat(np.arange(len(bundles)), bundles.sizes)
    n = len(bundles)
    it = bundles.items
    value = _sum_nan(row, (price * q)[it], n)
    item_margin = ((price - cost) * q)[it]
    margin = _sum_nan(row, item_margin, n) - discount * value
    return BundlePrices(value=value, price=(1.0 - discount) * value, margin=margin)


def margin_ok(prices: BundlePrices, floor: float | None, unknown_cost: str = "allow") -> np.ndarray:
    """(n,) True for bundles that pass the margin floor after the discount (floor None = off)."""
    priced = np.isfinite(prices.price)
    if floor is None:
        return priced
    known = np.isfinite(prices.margin)
    with np.errstate(invalid="ignore"):
        above = prices.margin >= floor * prices.price - 1e-9
    return priced & np.where(known, above, unknown_cost == "allow")


def _sum_nan(row: np.ndarray, values: np.ndarray, n: int) -> np.ndarray:
    """Per-bundle sums that are NaN when any term is NaN."""
    total = np.bincount(row, weights=np.nan_to_num(values, nan=0.0), minlength=n)
    bad = np.bincount(row, weights=~np.isfinite(values), minlength=n) > 0
    return np.where(bad, np.nan, total)
