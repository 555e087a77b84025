"""The acceptance model's rates, from priors (``cs_lab.simulate.priors``), as a point estimate and as
B parameter-bootstrap draws.

Which prior drives which part of the acceptance model (docs/simulation.md, "Rates and priors"):

  examination(p), p = 1..3   ``slot_examination.p`` (Open Bandit Dataset, position-wise click rates
                              relative to slot 1); p > 3: the geometric continuation of the last
                              observed ratio, examination(3) * (examination(3) / examination(2))^(p-3)
                              (an extrapolation, stated), drawn jointly with slots 2 and 3
  take                        P(accept | offered, examined, wanted, not organic)
                              = ``coupon.uptake`` (Complete Journey targeted coupons)
                                x ``assumption.take_transport`` (coupon -> on-site slot; no data)
  organic                     per (customer, item) from the organic model (its coefficients are drawn
                              from their asymptotic normal), or ``organic_rate`` when no model is given

A prior missing from the loaded files falls back to a clearly labelled assumption (``FALLBACKS``)
and the fallback is reported through ``say`` (printed by default), so the simulation runs with
or without the data-derived prior files.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from cs_lab.simulate.priors import Prior, PriorSet, load_priors

OBSERVED_SLOTS = 3
TAKE, TRANSPORT = "coupon.uptake", "assumption.take_transport"


def _fallback(name: str, value: float, se: float, dist: str, why: str) -> Prior:
    if dist == "beta":
        from scipy import stats
        m, v = value, se ** 2
        k = m * (1 - m) / v - 1
        lo, hi = stats.beta.ppf([0.025, 0.975], m * k, (1 - m) * k)
    else:
        lo, hi = value * np.exp(-1.96 * se / value), value * np.exp(1.96 * se / value)
    return Prior(name=name, value=value, se=se, ci_low=float(min(lo, value)), ci_high=float(max(hi, value)),
                 distribution=dist, source=f"FALLBACK ASSUMPTION (prior file missing): {why}", assumption=True)


FALLBACKS: dict[str, Prior] = {
    "slot_examination.1": Prior(name="slot_examination.1", value=1.0, ci_low=1.0, ci_high=1.0, distribution="fixed",
                                source="FALLBACK ASSUMPTION (prior file missing): slot 1 is the reference (1)",
                                assumption=True),
    **{f"slot_examination.{p}": _fallback(f"slot_examination.{p}", float(1 / np.log2(p + 1)),
                                          0.25 / np.log2(p + 1), "lognormal",
                                          "DCG discount 1/log2(p+1) relative to slot 1, +-25% (sd of log)")
       for p in range(2, OBSERVED_SLOTS + 1)},
    TAKE: _fallback(TAKE, 0.10, 0.05, "beta", "targeted-offer uptake 0.10, sd 0.05 (a wide guess)"),
    TRANSPORT: _fallback(TRANSPORT, 1.0, 0.7, "lognormal", "on-site slot converts like a coupon, x0.25..x4"),
}


def with_fallbacks(priors: PriorSet, names: list[str], say: Callable[[str], None] | None = print) -> PriorSet:
    """``priors`` plus a fallback assumption for every name in ``names`` it lacks (each one reported)."""
    extra = []
    for n in names:
        if n not in priors:
            fb = FALLBACKS[n]
            extra.append(fb)
            if say is not None:
                say(f"    prior {n!r} not found: using {fb.source} (value {fb.value:g}, "
                    f"95% [{fb.ci_low:.3g}, {fb.ci_high:.3g}])")
    return PriorSet([*priors, *extra]) if extra else priors


def needed_priors() -> list[str]:
    return [*(f"slot_examination.{p}" for p in range(1, OBSERVED_SLOTS + 1)), TAKE, TRANSPORT]


@dataclass
class AcceptanceRates:
    """exam (K,) and take: the point estimates; exam_draws (B, K), take_draws (B,): the parameter
    bootstrap (B = 0: fixed rates); sources: one row per prior used (name, role, value, interval,
    distribution, source, assumption)."""

    exam: np.ndarray
    take: float
    exam_draws: np.ndarray
    take_draws: np.ndarray
    sources: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def n_draws(self) -> int:
        return len(self.take_draws)

    def accept(self) -> np.ndarray:
        """P(accept | offered in slot p, examined .. wanted, not organic) for p = 1..K (point)."""
        return np.clip(self.exam * self.take, 0.0, 1.0)

    def accept_draws(self) -> np.ndarray:
        """(B, K) draws of the same."""
        return np.clip(self.exam_draws * self.take_draws[:, None], 0.0, 1.0)


def _examination(e: np.ndarray, slots: int) -> np.ndarray:
    """(..., 3) observed relative examination -> (..., slots), extrapolated geometrically beyond 3."""
    e = np.atleast_2d(e)
    if slots <= OBSERVED_SLOTS:
        return e[:, :slots]
    ratio = np.minimum(e[:, 2] / np.maximum(e[:, 1], 1e-12), 1.0)
    beyond = e[:, 2:3] * ratio[:, None] ** np.arange(1, slots - OBSERVED_SLOTS + 1)
    return np.hstack([e, beyond])


ROLES = {"slot_examination": "examination of slot {p} (relative to slot 1)",
         TAKE: "take: P(accept | offered, examined, wanted, not organic) before transport",
         TRANSPORT: "take: coupon -> on-site slot transport factor"}


def acceptance_rates(slots: int, n_draws: int, seed: int, priors: PriorSet | None = None,
                     say: Callable[[str], None] | None = print) -> AcceptanceRates:
    """Point rates and ``n_draws`` parameter draws for ``slots`` display slots (seeded)."""
    ps = with_fallbacks(priors if priors is not None else load_priors(), needed_priors(), say)
    ex = [ps[f"slot_examination.{p}"] for p in range(1, OBSERVED_SLOTS + 1)]
    take, tr = ps[TAKE], ps[TRANSPORT]
    rng = np.random.default_rng(np.random.SeedSequence([seed, 0x5A7E]))
    point_e = np.array([p.value for p in ex])
    exam = _examination(point_e, slots)[0]
    if n_draws > 0:
        ed = np.column_stack([p.draw(rng, n_draws) for p in ex])
        exam_draws = _examination(ed, slots)
        take_draws = take.draw(rng, n_draws) * tr.draw(rng, n_draws)
    else:
        exam_draws, take_draws = np.empty((0, slots)), np.empty(0)
    rows = []
    for p in [*ex, take, tr]:
        role = ROLES.get(p.name) or ROLES["slot_examination"].format(p=p.name.rsplit(".", 1)[-1])
        rows.append({"name": p.name, "role": role, "value": p.value, "se": p.se, "ci_low": p.ci_low,
                     "ci_high": p.ci_high, "distribution": p.distribution, "source": p.source,
                     "assumption": p.assumption, "n": p.n})
    if slots > OBSERVED_SLOTS:
        rows.append({"name": f"slot_examination.4..{slots}", "role": "examination beyond slot 3 (extrapolated)",
                     "value": float(exam[OBSERVED_SLOTS]), "se": np.nan, "ci_low": np.nan, "ci_high": np.nan,
                     "distribution": "derived", "source": "geometric continuation of examination(3)/examination(2)",
                     "assumption": True, "n": None})
    return AcceptanceRates(exam, float(take.value * tr.value), exam_draws, take_draws, pd.DataFrame(rows))


def fixed_rates(examination: np.ndarray, take_rate: float, n_draws: int = 0) -> AcceptanceRates:
    """Rates as configured: ``SimulationConfig.examination_curve`` and ``take_rate``; their ``n_draws``
    draws are all equal (no rate uncertainty)."""
    k = len(examination)
    e = np.asarray(examination, dtype=np.float64)
    src = pd.DataFrame([{"name": "take_rate", "role": "take (configured)", "value": take_rate, "se": 0.0,
                         "ci_low": take_rate, "ci_high": take_rate, "distribution": "fixed",
                         "source": "simulation.take_rate (configured)", "assumption": True, "n": None}])
    return AcceptanceRates(e, float(take_rate), np.tile(e, (n_draws, 1)).reshape(n_draws, k),
                           np.full(n_draws, float(take_rate)), src)
