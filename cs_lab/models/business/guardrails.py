"""Guardrails: which offers a cart may not receive, as a boolean block mask over a score block.

Usable on its own (``stats = GuardrailStats.from_train(train)`` then
``block = guardrail_mask(settings, stats, queries)``; ``scores[block] = -inf``) or through the
``guarded`` model that wraps any other model.

Checks, each switchable (settings are the fields of GuardedConfig, see docs/business_rules.md):
  dearest_item   an add-on may not cost more than the dearest priced item in the cart
  cart_share     nor more than this share of the cart value (sum of price x typical quantity)
  margin_floor   (price - cost) >= floor x price, where the item's cost is known
  returners      customers whose returned value / purchased value exceeds a threshold
  discount_seekers  customers whose share of lines bought with a discount reaches a threshold
                 (segments: suppress every offer, or offer only items up to a price)
  max_offers     at most N offers per query (applied by the guarded model after the mask)
Price checks skip carts with no priced item (an empty cart has no reference price); candidates
with an unknown price pass them unless unknown_price='block'.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from cs_lab.data import schema as S
from cs_lab.data.interactions import Interactions
from cs_lab.data.queries import Queries
from cs_lab.models.base import top_k

if TYPE_CHECKING:
    from cs_lab.models.business.guarded import GuardedConfig, SegmentRule


@dataclass
class GuardrailStats:
    """What the guardrails need from training: per-item prices and costs, per-customer behaviour."""

    price: np.ndarray            # (n_items,) median unit price, NaN unknown
    cost: np.ndarray             # (n_items,) median unit cost, NaN unknown
    quantity: np.ndarray         # (n_items,) typical (median) quantity per line, 1 when unknown
    return_rate: np.ndarray      # (n_customers,) returned value / purchased value, NaN unknown
    discount_share: np.ndarray   # (n_customers,) share of lines with discount > 0, NaN unknown
    n_lines: np.ndarray          # (n_customers,) training lines per customer

    @classmethod
    def from_train(cls, train: Interactions) -> "GuardrailStats":
        n_c = train.n_customers
        qty = np.where(np.isfinite(train.item_quantity) & (train.item_quantity > 0), train.item_quantity, 1.0)
        n_lines = np.zeros(n_c)
        rate = np.full(n_c, np.nan)
        share = np.full(n_c, np.nan)
        lines = train.lines
        if lines is not None and len(lines):
            cust = train.customers.index(lines[S.CUSTOMER].to_numpy())
            ok = cust >= 0
            n_lines = np.bincount(cust[ok], minlength=n_c).astype(np.float64)
            bought = _amount(lines)
            spent = np.bincount(cust[ok], weights=bought[ok], minlength=n_c)
            if train.returns is not None:
                ret = train.returns
                rc = train.customers.index(ret[S.CUSTOMER].to_numpy()) if len(ret) else np.zeros(0, np.int64)
                rok = rc >= 0
                returned = np.bincount(rc[rok], weights=_amount(ret, like=lines)[rok], minlength=n_c)
                with np.errstate(invalid="ignore", divide="ignore"):
                    rate = np.where(spent > 0, returned / np.where(spent > 0, spent, 1.0), np.nan)
            if S.DISCOUNT in lines.columns:
                disc = (pd.to_numeric(lines[S.DISCOUNT], errors="coerce").fillna(0).to_numpy() > 0).astype(float)
                with np.errstate(invalid="ignore", divide="ignore"):
                    share = np.where(n_lines > 0, np.bincount(cust[ok], weights=disc[ok], minlength=n_c)
                                     / np.maximum(n_lines, 1), np.nan)
        return cls(price=np.asarray(train.item_price, dtype=np.float64),
                   cost=np.asarray(train.item_cost, dtype=np.float64), quantity=qty,
                   return_rate=rate, discount_share=share, n_lines=n_lines)

    def state(self, prefix: str) -> dict[str, np.ndarray]:
        return {f"{prefix}{k}": getattr(self, k) for k in self.__dataclass_fields__}

    @classmethod
    def from_state(cls, arrays: dict[str, np.ndarray], prefix: str) -> "GuardrailStats":
        return cls(**{k: arrays[f"{prefix}{k}"] for k in cls.__dataclass_fields__})


def _amount(df: pd.DataFrame, like: pd.DataFrame | None = None) -> np.ndarray:
    """Line values; quantities when the data has no values (decided on ``like`` so both sides agree)."""
    ref = df if like is None else like
    col = S.VALUE if S.VALUE in ref.columns and ref[S.VALUE].notna().any() else S.QUANTITY
    return pd.to_numeric(df[col], errors="coerce").fillna(0).to_numpy(dtype=np.float64)


def segment_members(rule: "SegmentRule", values: np.ndarray, n_lines: np.ndarray) -> np.ndarray:
    """Customers in a segment: at least ``min_lines`` training lines and a value >= the threshold."""
    if rule.threshold is None:
        return np.zeros(len(values), dtype=bool)
    with np.errstate(invalid="ignore"):
        return (n_lines >= rule.min_lines) & np.isfinite(values) & (values >= rule.threshold)


def segment_price_cap(rule: "SegmentRule", price: np.ndarray) -> float:
    """The highest price a restricted segment may be offered."""
    if rule.max_price is not None:
        return float(rule.max_price)
    known = price[np.isfinite(price)]
    return float(np.quantile(known, rule.price_quantile)) if len(known) else np.inf


def guardrail_mask(cfg: "GuardedConfig", stats: GuardrailStats, queries: Queries) -> np.ndarray:
    """(n_queries, n_items) True where the guardrails forbid offering the item to the query."""
    n, m = len(queries), len(stats.price)
    price = stats.price
    known_price = np.isfinite(price)
    unknown_blocked = cfg.unknown_price == "block"
    block = np.zeros((n, m), dtype=bool)
    carts = queries.carts.tocsr()

    if cfg.dearest_item or cfg.cart_share is not None:
        p0 = np.where(known_price, price, 0.0)
        has_priced = np.asarray((carts @ known_price.astype(np.float64))).ravel() > 0
        if cfg.dearest_item:
            dearest = np.asarray(carts.multiply(p0[None, :]).tocsr().max(axis=1).todense()).ravel()
            block |= _over(price, dearest, has_priced, unknown_blocked)
        if cfg.cart_share is not None:
            value = np.asarray(carts @ (p0 * stats.quantity)).ravel()
            block |= _over(price, cfg.cart_share * value, has_priced, unknown_blocked)

    if cfg.margin_floor is not None:
        known = known_price & np.isfinite(stats.cost)
        with np.errstate(invalid="ignore"):
            low = known & ((price - stats.cost) < cfg.margin_floor * price - 1e-12)
        block |= low[None, :]

    cust = queries.customers
    for rule, values in ((cfg.returners, stats.return_rate), (cfg.discount_seekers, stats.discount_share)):
        members = segment_members(rule, values, stats.n_lines)
        rows = np.flatnonzero((cust >= 0) & members[np.maximum(cust, 0)]) if len(members) else np.zeros(0, int)
        if not len(rows):
            continue
        if rule.action == "suppress":
            block[rows] = True
        else:
            cap = segment_price_cap(rule, price)
            with np.errstate(invalid="ignore"):
                dear = (known_price & (price > cap + 1e-9)) | (~known_price & unknown_blocked)
            block[rows] |= dear[None, :]
    return block


def _over(price: np.ndarray, limit: np.ndarray, applies: np.ndarray, unknown_blocked: bool) -> np.ndarray:
    """(n, m) items priced above each row's limit, on rows where the limit applies."""
    known = np.isfinite(price)
    with np.errstate(invalid="ignore"):
        over = known[None, :] & (price[None, :] > limit[:, None] + 1e-9)
    if unknown_blocked:
        over |= ~known[None, :]
    return over & applies[:, None]


def cap_offers(scores: np.ndarray, n: int) -> None:
    """Keep only the ``n`` best candidates of each row, in place (the same items, ties included,
    that the final top-k would pick)."""
    if n >= scores.shape[1]:
        return
    ids, _ = top_k(scores, n)
    keep = np.zeros(scores.shape, dtype=bool)
    rows, cols = np.nonzero(ids >= 0)
    keep[rows, ids[rows, cols]] = True
    scores[~keep] = -np.inf
