"""The acceptance model: which hidden items a session buys, with and without offers.

For each hidden line (session s, item h) two uniforms are drawn once, keyed by
(seed, query_id, item_id) -- so they are the same in every arm (common random numbers):

    accepted  = h is shown in slot p of s's offer  and  u_offer < examination(p) * take_rate
    organic   = not accepted                        and  u_organic < organic_rate
    bought    = accepted or organic

An offer can only be accepted for a hidden item (an item the customer did buy in that basket);
an offered item that is not hidden is never bought. A hidden item offered but not accepted can
still be bought organically; an accepted item counts once (as accepted). Under this model an
offer never lowers the chance that a hidden item is bought (no cannibalisation, no annoyance).
"""

from __future__ import annotations

import numpy as np

from cs_lab.simulate.arms import EMPTY
from cs_lab.simulate.config import SimulationConfig
from cs_lab.simulate.hashing import STREAM_OFFER, STREAM_ORGANIC, hash_ids, mix, to_unit
from cs_lab.simulate.sessions import SessionSet

OUTCOME_COLUMNS = ("n_offered", "n_offered_hidden", "n_accepted", "n_organic", "n_addons", "converted",
                   "offer_converted", "addon_revenue", "offer_revenue", "order_value", "margin")


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


def simulate_outcomes(sessions: SessionSet, arm: np.ndarray, codes: list[np.ndarray | None],
                      config: SimulationConfig, uniforms: tuple[np.ndarray, np.ndarray] | None = None
                      ) -> dict[str, np.ndarray]:
    """Per-session outcomes given each session's arm index and each arm's encoded offers."""
    n = len(sessions)
    u_offer, u_organic = uniforms if uniforms is not None else line_uniforms(sessions, config.seed)
    ls, li = sessions.line_session, sessions.line_item
    line_arm = arm[ls]
    pos = np.zeros(len(ls), dtype=np.int64)
    n_offered = np.zeros(n, dtype=np.int64)
    for a, c in enumerate(codes):
        if c is None:
            continue
        in_arm = np.flatnonzero(line_arm == a)
        pos[in_arm] = offer_positions(c, ls[in_arm], li[in_arm])
        rows = np.flatnonzero(arm == a)
        n_offered[rows] = (c[rows] != EMPTY).sum(axis=1)
    p_accept = np.concatenate([[0.0], config.accept_probability()])
    accepted = (pos > 0) & (u_offer < p_accept[pos])
    organic = ~accepted & (u_organic < config.organic_rate)
    bought = accepted | organic

    def per_session(mask: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
        w = mask.astype(np.float64) if weights is None else np.where(mask, weights, 0.0)
        return np.bincount(ls, weights=w, minlength=n)

    n_acc = per_session(accepted).astype(np.int64)
    n_org = per_session(organic).astype(np.int64)
    out = {
        "n_offered": n_offered,
        "n_offered_hidden": per_session(pos > 0).astype(np.int64),
        "n_accepted": n_acc,
        "n_organic": n_org,
        "n_addons": n_acc + n_org,
        "converted": (n_acc + n_org) > 0,
        "offer_converted": n_acc > 0,
    }
    if sessions.has_prices:
        revenue = per_session(bought, sessions.line_value)
        out["addon_revenue"] = revenue
        out["offer_revenue"] = per_session(accepted, sessions.line_value)
        out["order_value"] = sessions.cart_value + revenue
    else:
        nan = np.full(n, np.nan)
        out["addon_revenue"], out["offer_revenue"], out["order_value"] = nan, nan.copy(), nan.copy()
    out["margin"] = (per_session(bought, sessions.line_value - sessions.line_cost) if sessions.has_costs
                     else np.full(n, np.nan))
    return out
