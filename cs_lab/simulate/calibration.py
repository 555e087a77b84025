"""Calibrating the acceptance model's two rates from data (see docs/simulation.md, "Calibration").

The simulator is assumption-driven: held-out carts say *what* a customer wanted (the hidden
items), never whether an offer made them buy it. The rates below tie the assumptions to numbers a
retailer can observe; they do not remove them.

organic_rate_for_conversion   organic rate r such that the simulated no-offer conversion,
                              mean over sessions of 1 - (1 - r)^n_hidden, equals an observed
                              add-on conversion without recommendations.
organic_rate_from_history     r = share of hidden items the (known) customer already bought in the
                              pre-period: "repeat items are found unaided, new ones need an offer".
take_rate_for_offer_conversion take rate t such that a reference policy (e.g. the widget in
                              production) reaches an observed offer conversion (share of sessions
                              adding >= 1 recommended item), given the examination curve.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import optimize

from cs_lab.data import schema as S
from cs_lab.errors import ConfigError, DataError
from cs_lab.simulate.acceptance import offer_positions
from cs_lab.simulate.arms import encode_arm
from cs_lab.simulate.config import SimulationConfig
from cs_lab.simulate.sessions import QUERY, SessionSet


@dataclass
class Calibration:
    """The calibrated config and how each rate was obtained."""

    config: SimulationConfig
    report: dict = field(default_factory=dict)


def _as_set(sessions, truth) -> SessionSet:
    return sessions if isinstance(sessions, SessionSet) else SessionSet.from_frames(sessions, truth)


def organic_rate_for_conversion(sessions: pd.DataFrame | SessionSet, truth: pd.DataFrame | None,
                                target: float) -> float:
    """Solve mean_s[1 - (1 - r)^{n_hidden(s)}] = target for r in [0, 1]."""
    ss = _as_set(sessions, truth)
    k = ss.n_hidden.astype(np.float64)
    reachable = float((k > 0).mean())
    if not 0 <= target <= reachable:
        raise ConfigError(f"target control conversion {target} is outside [0, {reachable:.4f}] (the share "
                          "of sessions with a hidden item)")
    if target in (0.0, reachable):
        return 0.0 if target == 0 else 1.0
    return float(optimize.brentq(lambda r: float(np.mean(1 - (1 - r) ** k)) - target, 0.0, 1.0,
                                 xtol=1e-12))


def organic_rate_from_history(sessions: pd.DataFrame, truth: pd.DataFrame, history: pd.DataFrame
                              ) -> tuple[float, int]:
    """(share of hidden lines whose item the session's customer bought in ``history``, lines used).

    Anonymous sessions and customers absent from ``history`` are left out (nothing to repeat).
    """
    for col in (S.CUSTOMER, S.ITEM):
        if col not in history.columns:
            raise DataError(f"history lines need column {col!r}", column=col)
    t = truth[[QUERY, S.ITEM]].merge(sessions[[QUERY, S.CUSTOMER]], on=QUERY, how="left")
    t = t[t[S.CUSTOMER].notna()]
    cust = t[S.CUSTOMER].astype(str)
    known = set(history[S.CUSTOMER].dropna().astype(str).unique())
    t = t[cust.isin(known).to_numpy()]
    if t.empty:
        raise DataError("no hidden line belongs to a customer present in history",
                        hint="pass pre-period lines of the same customers, or use organic_rate_for_conversion")
    seen = pd.MultiIndex.from_frame(history[[S.CUSTOMER, S.ITEM]].dropna().astype(str).drop_duplicates())
    keys = pd.MultiIndex.from_arrays([t[S.CUSTOMER].astype(str).to_numpy(), t[S.ITEM].astype(str).to_numpy()])
    hit = seen.get_indexer(keys) >= 0
    return float(hit.mean()), int(len(hit))


def expected_offer_conversion(ss: SessionSet, codes: np.ndarray, config: SimulationConfig,
                              take_rate: float) -> float:
    """Mean over sessions of 1 - prod over offered hidden items (1 - examination(pos) * take_rate)."""
    pos = offer_positions(codes, ss.line_session, ss.line_item)
    exam = np.concatenate([[0.0], config.examination_curve()])
    log_miss = np.log1p(-np.minimum(exam[pos] * take_rate, 1 - 1e-15))
    per = np.bincount(ss.line_session, weights=log_miss, minlength=len(ss))
    return float(np.mean(1 - np.exp(per)))


def take_rate_for_offer_conversion(sessions: pd.DataFrame | SessionSet, truth: pd.DataFrame | None,
                                   reference_recs, target: float, config: SimulationConfig) -> float:
    """Take rate at which ``reference_recs`` shown to every session reach offer conversion ``target``."""
    ss = _as_set(sessions, truth)
    codes = encode_arm(reference_recs, ss, config.slots, "reference")
    if codes is None:
        raise ConfigError("the reference policy must offer something")
    best = expected_offer_conversion(ss, codes, config, 1.0)
    if not 0 <= target <= best:
        raise ConfigError(f"target offer conversion {target} is above what the reference policy reaches even "
                          f"with take_rate=1 ({best:.4f}): its offers rarely hit the hidden items")
    if target in (0.0, best):
        return 0.0 if target == 0 else 1.0
    return float(optimize.brentq(lambda t: expected_offer_conversion(ss, codes, config, t) - target,
                                 0.0, 1.0, xtol=1e-12))


def calibrate(config: SimulationConfig, sessions: pd.DataFrame, truth: pd.DataFrame, *,
              target_control_conversion: float | None = None, history: pd.DataFrame | None = None,
              reference_recs=None, target_offer_conversion: float | None = None) -> Calibration:
    """Return ``config`` with organic_rate and/or take_rate set from data.

    organic_rate: from ``target_control_conversion`` if given, else from ``history`` (repeat share);
    take_rate: from ``reference_recs`` + ``target_offer_conversion`` (after the organic rate).
    Rates not calibrated keep their configured values; ``report`` says which is which.
    """
    updates: dict = {}
    report: dict = {}
    if target_control_conversion is not None:
        updates["organic_rate"] = organic_rate_for_conversion(sessions, truth, target_control_conversion)
        report["organic_rate"] = {"method": "target_control_conversion", "target": target_control_conversion,
                                  "value": updates["organic_rate"]}
    elif history is not None:
        rate, n = organic_rate_from_history(sessions, truth, history)
        updates["organic_rate"] = rate
        report["organic_rate"] = {"method": "repeat_share_in_history", "lines": n, "value": rate}
    else:
        report["organic_rate"] = {"method": "configured", "value": config.organic_rate}
    if (reference_recs is None) != (target_offer_conversion is None):
        raise ConfigError("take-rate calibration needs both reference_recs and target_offer_conversion")
    if reference_recs is not None:
        cfg = config.model_copy(update=updates)
        updates["take_rate"] = take_rate_for_offer_conversion(sessions, truth, reference_recs,
                                                              float(target_offer_conversion), cfg)
        report["take_rate"] = {"method": "target_offer_conversion", "target": target_offer_conversion,
                               "value": updates["take_rate"]}
    else:
        report["take_rate"] = {"method": "configured", "value": config.take_rate}
    new = SimulationConfig.model_validate({**config.model_dump(), **updates})
    return Calibration(new, report)


__all__ = ["Calibration", "calibrate", "expected_offer_conversion", "organic_rate_for_conversion",
           "organic_rate_from_history", "take_rate_for_offer_conversion"]
