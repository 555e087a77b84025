"""The spec's ``simulation:`` section: an offline A/B test of the experiment's models.

    simulation:
      arms: [control, popularity, best]     # model names; "best" = best model by the objective,
                                            # "control" = no offer
      calibrate: history                    # history: the organic model, fitted on the validation
                                            # split (training lines -> validation visits; never the
                                            # test window) | none: the constant organic_rate
      organic: {max_visits: 1500}           # cs_lab.simulate.organic.OrganicConfig fields (optional)
      target_control_conversion: null       # or calibrate a constant organic rate to this conversion
      rates: priors                         # ... any cs_lab.simulate.SimulationConfig field
      rate_draws: 200
      cuped: true
      margin_rate: 0.3                      # ASSUMED add-on margin rate (data without unit costs)
      response_sweep: [1.3, 2.6, 5.2]       # bundle arms: net-margin lift at each fixed discount response
      policy_threshold: {value: 300, benefit: free_delivery, amount: 10}   # the retailer's standing
                                            # threshold, applied to every arm without its own (control too)

Tactic arms: a model with a ``threshold_offer`` (the ``threshold`` re-ranker) becomes a threshold arm
(its orders that reach T get the benefit); a model with ``slot_discounts(ids)`` (a bundle model)
becomes a discounted arm (cs_lab.simulate.tactics). With tactic arms or a margin rate, net_margin
(and threshold_reached with a threshold arm) join the compared metrics unless ``metrics`` is given.

Sessions are the test carts of the basket-completion holdout (same queries the metrics use),
with each customer's training-period spend as the CUPED covariate.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, ValidationError

from cs_lab.errors import ConfigError
from cs_lab.data import schema as S
from cs_lab.simulate import Arm, SessionSet, SimulationConfig, SimulationResult, calibrate, simulate, sessions_from_holdout
from cs_lab.simulate.engine import OrganicLines
from cs_lab.simulate.organic import OrganicConfig, OrganicModel, calibration_report
from cs_lab.simulate.rates import acceptance_rates

CONTROL, BEST = "control", "best"


class SimulationSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    arms: list[str] = [CONTROL, "popularity", BEST]
    calibrate: Literal["history", "none"] = "history"
    target_control_conversion: float | None = None
    organic: OrganicConfig = OrganicConfig()
    response_sweep: list[float] | None = None
    policy_threshold: dict[str, Any] | None = None
    settings: dict[str, Any] = {}

    @classmethod
    def parse(cls, raw: dict[str, Any] | None, where: str = "simulation") -> "SimulationSpec":
        raw = dict(raw or {})
        own = {k: raw.pop(k) for k in list(raw) if k in ("arms", "calibrate", "target_control_conversion",
                                                          "organic", "response_sweep",
                                                          "policy_threshold")}
        try:
            spec = cls.model_validate({**own, "settings": raw})
        except ValidationError as exc:
            raise ConfigError("; ".join(f"{where}.{'.'.join(map(str, e['loc']))}: {e['msg']}"
                                        for e in exc.errors())) from None
        if "arms" in raw or "control" in raw:
            raise ConfigError(f"{where}: name arms with 'arms' (model names, 'best', 'control')")
        spec.config()  # validate the settings now
        if spec.policy_threshold is not None:
            from cs_lab.simulate.tactics import ThresholdOffer

            try:
                ThresholdOffer(**spec.policy_threshold)
            except (TypeError, ConfigError) as exc:
                raise ConfigError(f"{where}.policy_threshold: {exc} (keys: value, benefit, amount)") from None
        if spec.target_control_conversion is not None and spec.calibrate == "history" and "calibrate" in own:
            raise ConfigError(f"{where}: calibrate: history (the organic model) and target_control_conversion "
                              "(a constant organic rate) exclude each other; drop one")
        return spec

    def config(self, arm_names: list[str] | None = None) -> SimulationConfig:
        data = {**self.settings, "control": CONTROL}
        if arm_names is not None:
            data["arms"] = arm_names
        return SimulationConfig.from_dict(data, where="simulation")


@dataclass
class SimulationOutcome:
    result: SimulationResult
    arms: list[str]
    calibration: dict
    organic_check: dict | None = None
    sweep: pd.DataFrame | None = None
    """Net-margin (and order-value) lift vs control at each fixed discount response (bundle arms)."""


def resolve_arms(spec: SimulationSpec, models: list[str], best: str) -> list[str]:
    out: list[str] = []
    for a in spec.arms:
        name = best if a == BEST else a
        if name != CONTROL and name not in models:
            raise ConfigError(f"simulation.arms: {a!r} is not a model of this experiment ({models})")
        if name not in out:
            out.append(name)
    if CONTROL not in out:
        out.insert(0, CONTROL)
    return out


def run_simulation(spec: SimulationSpec, task, recs: dict[str, np.ndarray], best: str, seed: int,
                   max_sessions: int | None = None, say=print, tactics: dict[str, dict] | None = None
                   ) -> SimulationOutcome:
    """Simulate an A/B test of the named arms on the test carts. ``recs``: model name -> (n, K) ids
    in the final training vocabulary. The organic model sees only the validation split
    (``task.inner``: training lines -> validation visits) and predicts with the history before the
    test window (``task.split.train``); the test lines give only the sessions and their hidden items.
    ``tactics``: model name -> {"discounts": (n, K) slot discounts, "threshold": {value, benefit,
    amount}} (see ``model_tactics``)."""
    names = resolve_arms(spec, list(recs), best)
    tactics = {n: dict(t) for n, t in (tactics or {}).items()}
    if spec.policy_threshold is not None:
        for name in names:
            tactics.setdefault(name, {}).setdefault("threshold", dict(spec.policy_threshold))
    ev = task.final.eval
    sessions, truth = sessions_from_holdout(ev.holdout, task.split.test, history=task.split.train)
    keep = slice(None) if max_sessions is None else slice(0, max_sessions)
    sessions = sessions.iloc[keep].reset_index(drop=True)
    truth = truth[truth["query_id"].isin(sessions["query_id"])].reset_index(drop=True)
    cfg = spec.config(names)
    if "seed" not in spec.settings:
        cfg = cfg.model_copy(update={"seed": seed})
    cfg = _tactic_metrics(spec, cfg, {n: tactics.get(n, {}) for n in names})
    report: dict = {}
    organic = check = None
    if spec.target_control_conversion is not None:
        cal = calibrate(cfg, sessions, truth, target_control_conversion=spec.target_control_conversion)
        cfg, report = cal.config, cal.report
    elif spec.calibrate == "history":
        organic, report, check = organic_lines(spec.organic, task, sessions, truth, cfg)
    else:
        report["organic_rate"] = {"method": "configured", "value": cfg.organic_rate}
    vocab = task.final.train.items
    n = len(sessions)
    arms = {}
    for name in names:
        t = tactics.get(name, {})
        if name == CONTROL:   # no offer; an Arm with no item when the policy threshold applies to it
            arms[name] = (None if "threshold" not in t else
                          Arm(np.full((n, 1), -1, np.int64), items=vocab, threshold=t["threshold"]))
            continue
        disc = t.get("discounts")
        arms[name] = Arm(recs[name][:n], items=vocab, discounts=None if disc is None else np.asarray(disc)[:n],
                         threshold=t.get("threshold"))
    rates = (acceptance_rates(cfg.slots, cfg.rate_draws, cfg.seed, say=say) if cfg.rates == "priors" else None)
    ss = _sessions(sessions, truth, cfg)
    result = simulate(ss, None, arms, cfg, rates=rates, organic=organic)
    sweep = None
    if spec.response_sweep and any(a is not None and a.discounts is not None for a in arms.values()):
        sweep = response_sweep(ss, arms, cfg, spec.response_sweep, rates, organic)
    return SimulationOutcome(result, names, report, check, sweep)


def model_tactics(model, ids: np.ndarray, queries=None, exclude=None) -> dict:
    """What a fitted model tells the simulation about its arm: its order threshold
    (``threshold_offer``) and the discount of each recommended slot (``slot_discounts(ids)``; with
    ``queries`` -- the carts ``ids`` answer -- and ``exclude`` passed on when the method takes them, so a
    model loaded from the cache recomputes its offers)."""
    import inspect

    out: dict = {}
    offer = getattr(model, "threshold_offer", None)
    if offer is not None:
        out["threshold"] = dict(offer)
    slot_discounts = getattr(model, "slot_discounts", None)
    if callable(slot_discounts):
        params = inspect.signature(slot_discounts).parameters
        kw = {}
        if queries is not None and "queries" in params:
            kw["queries"] = queries
            if "exclude" in params:
                kw["exclude"] = exclude
        out["discounts"] = np.asarray(slot_discounts(ids, **kw), dtype=np.float64)
    return out


def _tactic_metrics(spec: SimulationSpec, cfg: SimulationConfig, tactics: dict[str, dict]) -> SimulationConfig:
    """net_margin (and threshold_reached) join the metrics when the arms use tactics or a margin rate is
    set, unless the spec lists ``metrics`` itself."""
    if "metrics" in spec.settings:
        return cfg
    extra = []
    if cfg.margin_rate is not None or any(tactics.values()):
        extra.append("net_margin")
    if any("threshold" in t for t in tactics.values()):
        extra.append("threshold_reached")
    extra = [m for m in extra if m not in cfg.metrics]
    return cfg.model_copy(update={"metrics": [*cfg.metrics, *extra]}) if extra else cfg


def response_sweep(ss: SessionSet, arms: dict, cfg: SimulationConfig, values: list[float], rates, organic
                   ) -> pd.DataFrame:
    """The counterfactual lift vs control (net margin, order value, conversion) at each fixed discount
    response r, at the point rates: the simulation over the range of an assumption no data informs."""
    rows = []
    quick = cfg.model_copy(update={"rate_draws": 0, "n_bootstrap": 0, "ci_method": "analytic",
                                   "counterfactual": True})
    point_rates = None
    if rates is not None:
        from cs_lab.simulate.rates import AcceptanceRates

        point_rates = AcceptanceRates(rates.exam, rates.take, rates.exam_draws[:0], rates.take_draws[:0],
                                      rates.sources)
    point_organic = None if organic is None else OrganicLines(organic.p, None, organic.source)
    for r in values:
        res = simulate(ss, None, arms, quick.model_copy(update={"discount_response": float(r)}),
                       rates=point_rates, organic=point_organic)
        cf = res.counterfactual
        for rec in cf[cf["metric"].isin(["net_margin", "order_value", "conversion"])].to_dict(orient="records"):
            rows.append({"discount_response": float(r), **{k: rec[k] for k in
                         ("arm", "metric", "mean_arm", "mean_control", "abs_lift", "abs_ci_low", "abs_ci_high")}})
    return pd.DataFrame(rows)


def _sessions(sessions: pd.DataFrame, truth: pd.DataFrame, cfg: SimulationConfig) -> SessionSet:
    cov = cfg.covariate if (cfg.cuped or cfg.covariate in sessions.columns) else None
    return SessionSet.from_frames(sessions, truth, covariate=cov)


def organic_lines(ocfg: OrganicConfig, task, sessions: pd.DataFrame, truth: pd.DataFrame, cfg: SimulationConfig
                  ) -> tuple[OrganicLines, dict, dict]:
    """Fit the organic model on the validation split only and predict every hidden test line."""
    ocfg = ocfg.model_copy(update={"seed": cfg.seed}) if "seed" not in ocfg.model_fields_set else ocfg
    model = OrganicModel(ocfg).fit(task.inner.train, task.inner.test)
    ss = _sessions(sessions, truth, cfg)
    t = task.split.test
    basket_time = t.groupby(t[S.BASKET].astype(str), observed=True)[S.TIMESTAMP].min()
    q = task.final.eval.holdout.queries.astype({S.BASKET: str}).set_index("query_id")[S.BASKET]
    session_time = pd.Series(ss.ids).map(q).map(basket_time).to_numpy()
    ls = ss.line_session
    X = model.design(task.split.train, ss.customers[ls], ss.items.to_numpy()[ss.line_item], session_time[ls])
    p = model.predict(X)
    draws = None
    if cfg.rate_draws > 0:
        beta = model.draw_coefficients(np.random.default_rng(np.random.SeedSequence([cfg.seed, 0x0A61C])),
                                       cfg.rate_draws)
        draws = model.predict(X, beta)
    check = calibration_report(model)
    report = {"organic": {"method": "organic model (logistic, per customer-item)", "fit": model.n_fit_,
                          "coefficients": model.coefficients(), "mean_p_test_lines": float(p.mean()),
                          "mean_p_repeat_lines": float(p[X[:, 0] > 0].mean()) if (X[:, 0] > 0).any() else None,
                          "mean_p_new_lines": float(p[X[:, 0] == 0].mean()) if (X[:, 0] == 0).any() else None,
                          "repeat_share_test_lines": float((X[:, 0] > 0).mean()),
                          "brier_validation": check["brier"], "brier_skill_validation": check["brier_skill"],
                          "brier_repeat_validation": check["brier_repeat"],
                          "brier_skill_repeat_validation": check["brier_skill_repeat"]}}
    source = (f"organic model fitted on {model.n_fit_['visits']:,} validation visits "
              f"(Brier skill on held-out customers' repeat items {check['brier_skill_repeat']:.3f})")
    return OrganicLines(p, draws, source), report, check


def headline_table(result: SimulationResult) -> pd.DataFrame:
    """Per-arm outcomes joined with the headline lift vs control, one row per (arm, metric)."""
    return result.headline()
