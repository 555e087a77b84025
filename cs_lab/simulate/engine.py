"""``simulate``: assign held-out sessions to arms, draw what they buy, compare arms with the control.

    from cs_lab.simulate import SimulationConfig, simulate
    res = simulate(sessions, truth, {"control": None, "als": als_ids, "rules": rules_df},
                   SimulationConfig(slots=5, take_rate=0.3, organic_rate=0.1, cuped=True))
    res.arms; res.lift; res.to_json("simulation.json")
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from cs_lab.data import schema as S
from cs_lab.errors import ConfigError
from cs_lab.simulate.acceptance import line_uniforms, simulate_outcomes
from cs_lab.simulate.draws import DrawSummary, run_draws
from cs_lab.simulate.rates import AcceptanceRates, acceptance_rates, fixed_rates
from cs_lab.simulate.arms import EMPTY, arm_tactics, encode_arm
from cs_lab.simulate.config import SimulationConfig
from cs_lab.simulate.counterfactual import counterfactual_table
from cs_lab.simulate.hashing import assign_from_hash, hash_ids
from cs_lab.simulate.result import ARM_COLUMNS, SimulationResult
from cs_lab.simulate.sessions import CART_VALUE, QUERY, SessionSet
from cs_lab.simulate.stats.lift import lift_table
from cs_lab.simulate.tactics import DiscountResponse, add_source, discount_response

METRIC_SOURCE = {"conversion": "converted", "offer_conversion": "offer_converted",
                 "incremental_conversion": "incremental_converted", "addon_revenue": "addon_revenue",
                 "incremental_revenue": "incremental_revenue", "order_value": "order_value", "margin": "margin",
                 "net_margin": "net_margin", "threshold_reached": "threshold_reached"}
PRICED = frozenset({"addon_revenue", "incremental_revenue", "order_value", "net_margin", "threshold_reached"})
OFFER_ONLY = frozenset({"offer_conversion", "incremental_conversion", "incremental_revenue"})
"""Metrics that are 0 by construction in a no-offer arm."""
SIGNED = frozenset({"net_margin"})
"""Metrics that can be negative: a ratio to the control's mean means nothing, only absolute lifts."""
REL = ["rel_lift", "rel_ci_low", "rel_ci_high"]
NONNEG_WITH_TACTICS = frozenset({"incremental_conversion", "conversion", "offer_conversion", "incremental_revenue"})
"""Paired differences vs a no-offer control that stay >= 0 by construction when arms carry tactics."""
NOTE_ZERO = "no p-value: the no-offer control's {m} is 0 by construction"
NOTE_NONNEG = ("no p-value: vs a no-offer control every paired difference is >= 0 by construction "
               "(offers only add)")


@dataclass
class OrganicLines:
    """P(bought without an offer) per hidden line: ``p`` (m,) at the point estimate, ``draws`` (m, B)
    for the parameter bootstrap (None: no uncertainty), ``source`` in words."""

    p: np.ndarray
    draws: np.ndarray | None = None
    source: str = "organic model"


@dataclass
class PreparedArms:
    """Arm names in assignment order, their encoded offers (None = no offer), the control's index;
    per arm the slot discounts and the order threshold (cs_lab.simulate.tactics), None = none."""

    names: list[str]
    codes: list[np.ndarray | None]
    control: int
    weights: list[float]
    discounts: list[np.ndarray | None] = field(default_factory=list)
    thresholds: list = field(default_factory=list)

    @property
    def has_discounts(self) -> bool:
        return any(d is not None for d in self.discounts)

    def tactics(self, a: int) -> dict:
        """simulate_outcomes keyword arguments for arm ``a`` alone."""
        return {"discounts": [self.discounts[a] if self.discounts else None],
                "thresholds": [self.thresholds[a] if self.thresholds else None]}


def prepare_arms(arms: Mapping[str, object], sessions: SessionSet, config: SimulationConfig) -> PreparedArms:
    """Order, check and encode the arms (see cs_lab.simulate.arms for accepted formats)."""
    given = dict(arms)
    if config.control not in given:
        given = {config.control: None, **given}
    names = list(config.arms) if config.arms is not None else list(given)
    missing = [n for n in names if n not in given]
    extra = [n for n in given if n not in names]
    if missing or extra:
        raise ConfigError(f"simulation.arms {names} and the recommendations given {list(given)} differ: "
                          f"missing {missing}, unexpected {extra}")
    if len(names) < 2:
        raise ConfigError(f"need at least two arms (control {config.control!r} and a treatment), got {names}")
    weights = list(config.weights) if config.weights is not None else [1.0] * len(names)
    if len(weights) != len(names):
        raise ConfigError(f"simulation.weights has {len(weights)} entries for {len(names)} arms {names}")
    codes = [encode_arm(given[n], sessions, config.slots, n) for n in names]
    tactics = [arm_tactics(given[n], len(sessions), config.slots, n) for n in names]
    return PreparedArms(names, codes, names.index(config.control), weights, [t[0] for t in tactics],
                        [t[1] for t in tactics])


def simulate(sessions: pd.DataFrame | SessionSet, truth: pd.DataFrame | None, arms: Mapping[str, object],
             config: SimulationConfig | Mapping | None = None, *, rates: AcceptanceRates | None = None,
             organic: OrganicLines | None = None) -> SimulationResult:
    """Run one simulated A/B(/n) test.

    sessions  table query_id, customer_id, cart_value [, config.covariate] (or a ``SessionSet``,
              then ``truth`` is None)
    truth     hidden items: query_id, item_id, quantity, unit_price [, value] [, unit_cost]
    arms      name -> recommendations (see cs_lab.simulate.arms); the control may be None (no offer)
    rates     acceptance rates (cs_lab.simulate.rates); default from the config (``rates: fixed`` or
              ``priors``)
    organic   per-line organic probabilities (e.g. from cs_lab.simulate.organic); default the
              config's constant ``organic_rate``
    """
    cfg = _config(config)
    ss = _session_set(sessions, truth, cfg)
    prepared = prepare_arms(arms, ss, cfg)
    return run(ss, prepared, cfg, rates=rates, organic=organic)


def customer_clusters(sessions: SessionSet) -> np.ndarray:
    """(n,) cluster code per session: its customer, or the session itself when anonymous."""
    cust = pd.Series(sessions.customers, dtype=object)
    unit = np.where(cust.isna().to_numpy(), "q:" + pd.Series(sessions.ids, dtype=object).astype(str),
                    "c:" + cust.astype(str))
    return pd.factorize(unit)[0].astype(np.int64)


def assignment_units(sessions: SessionSet, config: SimulationConfig) -> np.ndarray:
    """The ids that are hashed into arms: customer ids (anonymous sessions: their query id) or query ids."""
    if config.assignment == "session":
        return sessions.ids
    cust = pd.Series(sessions.customers, dtype=object)
    return np.where(cust.isna().to_numpy(), "q:" + pd.Series(sessions.ids, dtype=object).astype(str),
                    "c:" + cust.astype(str)).astype(object)


def resolve_rates(config: SimulationConfig, rates: AcceptanceRates | None) -> AcceptanceRates:
    if rates is not None:
        if len(rates.exam) < config.slots:
            raise ConfigError(f"rates cover {len(rates.exam)} slots, simulation.slots is {config.slots}")
        return rates
    if config.rates == "priors":
        return acceptance_rates(config.slots, config.rate_draws, config.seed)
    return fixed_rates(config.examination_curve(), config.take_rate, config.rate_draws)


def run(sessions: SessionSet, arms: PreparedArms, config: SimulationConfig, *, per_session: bool = True,
        rates: AcceptanceRates | None = None, organic: OrganicLines | None = None) -> SimulationResult:
    """``simulate`` on already encoded sessions and arms (for repeated runs, e.g. many seeds).
    per_session=False leaves ``SimulationResult.per_session`` empty (faster for many runs)."""
    rates = resolve_rates(config, rates)
    org_p = config.organic_rate if organic is None else organic.p
    if organic is not None and len(organic.p) != len(sessions.line_session):
        raise ConfigError(f"organic probabilities: {len(organic.p)} values for {len(sessions.line_session)} "
                          "hidden lines")
    ids_hash = hash_ids(sessions.ids, "session", config.seed)
    unit_hash = ids_hash if config.assignment == "session" else hash_ids(assignment_units(sessions, config),
                                                                          "customer", config.seed)
    arm = assign_from_hash(unit_hash, arms.weights)
    clusters = customer_clusters(sessions) if config.assignment == "customer" else None
    uniforms = line_uniforms(sessions, config.seed, ids_hash)
    accept = rates.accept()
    response = None
    if arms.has_discounts:
        response = discount_response(config.discount_response, config.rate_draws, config.seed)
        rates = AcceptanceRates(rates.exam, rates.take, rates.exam_draws, rates.take_draws,
                                add_source(rates.sources, response.source))
    r = response.value if response is not None else 0.0
    out = simulate_outcomes(sessions, arm, arms.codes, config, uniforms, accept=accept, organic=org_p,
                            discounts=arms.discounts or None, thresholds=arms.thresholds or None, response=r)
    notes: list[str] = []
    values = {}
    for m in config.metrics:
        if m == "margin" and not sessions.has_costs:
            notes.append("margin skipped: truth has no unit_cost for every hidden line")
            continue
        if m == "net_margin" and not sessions.has_costs and config.margin_rate is None:
            notes.append("net_margin skipped: no unit_cost on the hidden lines and no simulation.margin_rate")
            continue
        if m in PRICED and not sessions.has_prices:
            notes.append(f"{m} skipped: truth has no prices")
            continue
        values[m] = out[METRIC_SOURCE[m]].astype(np.float64)
    cov = None
    if config.cuped:
        if sessions.covariate is None:
            raise ConfigError(f"simulation.cuped is on but sessions have no {config.covariate!r} column")
        cov = sessions.covariate
    lift = lift_table(values, arm, arms.names, arms.control, alpha=config.alpha,
                      n_bootstrap=config.n_bootstrap, seed=config.seed, covariate=cov, clusters=clusters)
    ctrl = arms.codes[arms.control]
    no_offer_control = ctrl is None or bool((ctrl == EMPTY).all())
    lift["p_note"] = ""
    if no_offer_control:
        fixed = lift["metric"].isin(OFFER_ONLY).to_numpy()
        lift.loc[fixed, ["p_value", "p_holm"]] = np.nan
        lift.loc[fixed, "significant"] = False
        lift.loc[fixed, "p_note"] = [NOTE_ZERO.format(m=m) for m in lift.loc[fixed, "metric"]]
    cf = pd.DataFrame()
    if config.counterfactual:
        cf = counterfactual_table(sessions, arms.codes, arms.names, arms.control, config, uniforms,
                                  {m: METRIC_SOURCE[m] for m in values}, accept=accept, organic=org_p,
                                  tactics=arms.tactics, response=r)
        cf["p_note"] = ""
        if no_offer_control and len(cf):
            nonneg = ~cf["metric"].isin(SIGNED)
            if arms.has_discounts or any(t is not None for t in arms.thresholds):
                # a discounted organic item or a crossed tier can lower revenue and order value
                nonneg &= cf["metric"].isin(list(NONNEG_WITH_TACTICS))
            cf.loc[nonneg, "p_value"] = np.nan
            cf.loc[nonneg, "p_note"] = NOTE_NONNEG
    draws = None
    if config.rate_draws > 0:
        draws = _draws(sessions, arms, config, arm, clusters, uniforms, rates, organic, org_p, list(values),
                       response)
        lift = pd.concat([lift, _draw_rows(lift, draws)], ignore_index=True)
    lift.loc[lift["metric"].isin(SIGNED), REL] = np.nan
    if len(cf):
        cf.loc[cf["metric"].isin(SIGNED), REL] = np.nan
    per = pd.DataFrame()
    if per_session:
        per = pd.DataFrame({QUERY: sessions.ids, S.CUSTOMER: sessions.customers,
                            "arm": pd.Categorical.from_codes(arm, categories=arms.names),
                            CART_VALUE: sessions.cart_value, "n_hidden": sessions.n_hidden, **out})
        if sessions.covariate is not None:
            per[config.covariate] = sessions.covariate
    return SimulationResult(per, arm_summary(out, arm, arms.names), lift, config, notes, cf, draws=draws,
                            rates=rates, organic_source=("constant organic_rate" if organic is None
                                                         else organic.source))


def _draws(sessions, arms, config, arm, clusters, uniforms, rates, organic, org_p, metrics,
           response: DiscountResponse | None = None):
    """The parameter bootstrap (cs_lab.simulate.draws) with point counterfactual means per arm."""
    B = config.rate_draws
    zeros = np.zeros(len(sessions), np.int64)
    point = {m: np.empty(len(arms.names)) for m in metrics}
    r = response.value if response is not None else 0.0
    for a, c in enumerate(arms.codes):
        o = simulate_outcomes(sessions, zeros, [c], config, uniforms, accept=rates.accept(), organic=org_p,
                              response=r, **arms.tactics(a))
        for m in metrics:
            point[m][a] = float(np.mean(o[METRIC_SOURCE[m]]))
    acc = rates.accept_draws()
    if len(acc) != B:
        raise ConfigError(f"rates carry {len(acc)} draws but simulation.rate_draws is {B}")
    org = org_p if organic is None or organic.draws is None else organic.draws
    cl = clusters if clusters is not None else np.arange(len(sessions))
    resp = response.draws if response is not None else np.zeros(B)
    return run_draws(sessions, arms.codes, arms.names, arms.control, arm, cl, uniforms, acc, org, metrics,
                     point, config.alpha, config.seed,
                     tactics=[arms.tactics(a) for a in range(len(arms.names))], response_draws=resp,
                     margin_rate=config.margin_rate)


def _draw_rows(lift: pd.DataFrame, draws: DrawSummary) -> pd.DataFrame:
    """Lift rows of method 'bootstrap+rates': the A/B point lift with intervals from the draws."""
    base = lift[~lift["cuped"] & lift["method"].isin(["z-test", "welch", "cluster-z"])]
    rows = base.merge(draws.ab, on=["arm", "control", "metric"], suffixes=("", "_d"))
    rows = rows.assign(method="bootstrap+rates", abs_ci_low=rows["ci_low"], abs_ci_high=rows["ci_high"],
                       rel_ci_low=rows["rel_ci_low_d"], rel_ci_high=rows["rel_ci_high_d"], p_value=np.nan,
                       p_holm=np.nan, significant=False,
                       p_note="interval only: sampling (customers resampled) + rate uncertainty")
    return rows[list(lift.columns)]


def arm_summary(out: dict[str, np.ndarray], arm: np.ndarray, names: list[str]) -> pd.DataFrame:
    """Per-arm means of the per-session outcomes (ARM_COLUMNS)."""
    k = len(names)
    n = np.bincount(arm, minlength=k).astype(np.int64)

    def mean(col: str) -> np.ndarray:
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.bincount(arm, weights=np.asarray(out[col], dtype=np.float64), minlength=k) / n

    return pd.DataFrame({
        "arm": names, "n": n, "share": n / max(len(arm), 1), "conversion": mean("converted"),
        "offer_conversion": mean("offer_converted"), "addons_per_session": mean("n_addons"),
        "revenue_per_session": mean("addon_revenue"), "offer_revenue_per_session": mean("offer_revenue"),
        "order_value": mean("order_value"), "margin_per_session": mean("margin"),
        "offers_per_session": mean("n_offered"), "net_margin_per_session": mean("net_margin"),
        "threshold_reached": mean("threshold_reached"), "benefit_cost_per_session": mean("benefit_cost"),
        "discount_cost_per_session": mean("discount_cost"),
    })[list(ARM_COLUMNS)]


def _config(config) -> SimulationConfig:
    if config is None:
        return SimulationConfig()
    if isinstance(config, SimulationConfig):
        return config
    return SimulationConfig.from_dict(dict(config))


def _session_set(sessions, truth, cfg: SimulationConfig) -> SessionSet:
    if isinstance(sessions, SessionSet):
        if truth is not None:
            raise ConfigError("pass truth=None with a SessionSet (it already holds the hidden items)")
        if cfg.cuped and sessions.covariate is None:
            raise ConfigError(f"simulation.cuped is on but the SessionSet has no covariate; build it with "
                              f"SessionSet.from_frames(..., covariate={cfg.covariate!r})")
        return sessions
    if truth is None:
        raise ConfigError("truth (the hidden items) is required with a sessions table")
    cov = cfg.covariate if (cfg.cuped or cfg.covariate in sessions.columns) else None
    return SessionSet.from_frames(sessions, truth, covariate=cov)
