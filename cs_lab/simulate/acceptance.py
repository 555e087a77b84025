"""The acceptance model: which hidden items a session buys, with and without offers.

For each hidden line (session s, item h) two uniforms are drawn once, keyed by
(seed, query_id, item_id) -- so they are the same in every arm (common random numbers):

    organic     = u_organic < p_organic(s, h)       (bought without any offer: the organic model, or
                                                     the constant ``organic_rate``)
    accepted    = h is shown in slot p of s's offer  and  u_offer < accept(p)
                  (accept(p) = examination(p) * take: P(accept | offered, examined, wanted))
    bought      = organic or accepted
    incremental = accepted and not organic          (what the offer caused)

A discounted slot (a bundle arm) scales accept(p) by (1 + r x discount), r the discount response;
an arm with an order threshold pays its benefit when the goods reach T (cs_lab.simulate.tactics).

An offer can only be accepted for a hidden item (an item the customer did buy in that basket);
an offered item that is not hidden is never bought. An accepted item that would have been bought
anyway is organic, not incremental: the offer's effect falls only on what would not have been
bought. Under this model an offer never lowers the chance that a hidden item is bought.
"""

from __future__ import annotations

import numpy as np

from cs_lab.simulate.arms import EMPTY
from cs_lab.simulate.config import SimulationConfig
from cs_lab.simulate.hashing import STREAM_OFFER, STREAM_ORGANIC, hash_ids, mix, to_unit
from cs_lab.simulate.sessions import SessionSet
from cs_lab.simulate.tactics import SessionTerms, line_discounts, session_money

OUTCOME_COLUMNS = ("n_offered", "n_offered_hidden", "n_accepted", "n_organic", "n_incremental", "n_addons",
                   "converted", "offer_converted", "incremental_converted", "addon_revenue", "offer_revenue",
                   "incremental_revenue", "order_value", "margin", "discount_cost", "benefit_cost",
                   "threshold_reached", "net_margin")


def line_uniforms(sessions: SessionSet, seed: int, ids_hash: np.ndarray | None = None
                  ) -> tuple[np.ndarray, np.ndarray]:
    """(u_offer, u_organic) per hidden line, functions of (seed, query_id, item_id) only.
    ``ids_hash`` = hash_ids(sessions.ids, "session", seed) when already computed."""
    hq = hash_ids(sessions.ids, "session", seed) if ids_hash is None else ids_hash
    hi = hash_ids(sessions.items.to_numpy(), "item", seed)
    base = mix(hq[sessions.line_session], hi[sessions.line_item])
    u_offer = to_unit(mix(base, np.full(len(base), STREAM_OFFER, np.uint64)))
    u_organic = to_unit(mix(base, np.full(len(base), STREAM_ORGANIC, np.uint64)))
    return u_offer, u_organic


def offer_positions(codes: np.ndarray | None, line_session: np.ndarray, line_item: np.ndarray,
                    block: int = 1 << 18) -> np.ndarray:
    """Slot (1..K) at which each hidden line's item is first offered in its session, 0 if not offered."""
    pos = np.zeros(len(line_session), dtype=np.int64)
    if codes is None or not len(line_session):
        return pos
    for start in range(0, len(line_session), block):
        sl = slice(start, start + block)
        hit = codes[line_session[sl]] == line_item[sl, None]
        any_hit = hit.any(axis=1)
        pos[sl] = np.where(any_hit, hit.argmax(axis=1) + 1, 0)
    return pos


def arm_positions(sessions: SessionSet, arm: np.ndarray, codes: list[np.ndarray | None]
                  ) -> tuple[np.ndarray, np.ndarray]:
    """(slot of each hidden line's item in its session's offer (0 = not offered), offers per session)."""
    ls, li = sessions.line_session, sessions.line_item
    line_arm = arm[ls]
    pos = np.zeros(len(ls), dtype=np.int64)
    n_offered = np.zeros(len(sessions), dtype=np.int64)
    for a, c in enumerate(codes):
        if c is None:
            continue
        in_arm = np.flatnonzero(line_arm == a)
        pos[in_arm] = offer_positions(c, ls[in_arm], li[in_arm])
        rows = np.flatnonzero(arm == a)
        n_offered[rows] = (c[rows] != EMPTY).sum(axis=1)
    return pos, n_offered


def simulate_outcomes(sessions: SessionSet, arm: np.ndarray, codes: list[np.ndarray | None],
                      config: SimulationConfig, uniforms: tuple[np.ndarray, np.ndarray] | None = None, *,
                      accept: np.ndarray | None = None, organic: np.ndarray | float | None = None,
                      discounts: list[np.ndarray | None] | None = None, thresholds: list | None = None,
                      response: float = 0.0) -> dict[str, np.ndarray]:
    """Per-session outcomes given each session's arm index and each arm's encoded offers.
    accept: (K,) P(accept) per slot (default ``config.accept_probability()``); organic: P(bought
    without an offer) per hidden line (m,) or one rate (default ``config.organic_rate``);
    discounts / thresholds: per arm (aligned with ``codes``) the (n, K) slot discounts and the
    ``ThresholdOffer`` (None = none); response: the discount response r (cs_lab.simulate.tactics)."""
    n = len(sessions)
    u_offer, u_organic = uniforms if uniforms is not None else line_uniforms(sessions, config.seed)
    ls = sessions.line_session
    pos, n_offered = arm_positions(sessions, arm, codes)
    acc = config.accept_probability() if accept is None else np.asarray(accept, dtype=np.float64)
    p_accept = np.concatenate([[0.0], acc])
    p_line = p_accept[pos]
    d_line = np.zeros(len(ls))
    if discounts is not None and any(d is not None for d in discounts):
        d_line = line_discounts(discounts, arm, ls, pos)
        p_line = np.minimum(1.0, p_line * (1.0 + response * d_line))
    accepted = (pos > 0) & (u_offer < p_line)
    organic_line = u_organic < (config.organic_rate if organic is None else organic)
    incremental = accepted & ~organic_line
    bought = accepted | organic_line

    def per_session(mask: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
        w = mask.astype(np.float64) if weights is None else np.where(mask, weights, 0.0)
        return np.bincount(ls, weights=w, minlength=n)

    n_acc = per_session(accepted).astype(np.int64)
    n_org = per_session(organic_line).astype(np.int64)
    n_inc = per_session(incremental).astype(np.int64)
    out = {
        "n_offered": n_offered,
        "n_offered_hidden": per_session(pos > 0).astype(np.int64),
        "n_accepted": n_acc,
        "n_organic": n_org,
        "n_incremental": n_inc,
        "n_addons": n_inc + n_org,
        "converted": (n_inc + n_org) > 0,
        "offer_converted": n_acc > 0,
        "incremental_converted": n_inc > 0,
    }
    paid = sessions.line_value * (1.0 - d_line)        # what the customer pays for an accepted line
    if sessions.has_prices:
        terms = SessionTerms.build(arm, thresholds) if thresholds is not None else None
        money = session_money(lambda x: np.bincount(ls, weights=x, minlength=n), sessions.line_value,
                              line_margin(sessions, config), bought, accepted, d_line, sessions.cart_value, terms)
        out["addon_revenue"] = money["addon_revenue"]
        out["offer_revenue"] = per_session(accepted, paid)
        out["incremental_revenue"] = per_session(incremental, paid)
        out["order_value"] = money["order_value"]
        for key in ("discount_cost", "benefit_cost", "threshold_reached", "net_margin"):
            out[key] = money[key]
    else:
        nan = np.full(n, np.nan)
        for key in ("addon_revenue", "offer_revenue", "order_value", "incremental_revenue", "discount_cost",
                    "benefit_cost", "threshold_reached", "net_margin"):
            out[key] = nan.copy()
    out["margin"] = (per_session(bought, sessions.line_value - sessions.line_cost) if sessions.has_costs
                     else np.full(n, np.nan))
    return out


def line_margin(sessions: SessionSet, config: SimulationConfig) -> np.ndarray | None:
    """(m,) add-on margin per hidden line: value - cost with unit costs, else the ASSUMED
    ``margin_rate`` x value, else None (net margin undefined)."""
    if sessions.has_costs:
        return sessions.line_value - sessions.line_cost
    if config.margin_rate is not None:
        return config.margin_rate * sessions.line_value
    return None
