"""The spec's ``simulation:`` section: an offline A/B test of the experiment's models.

    simulation:
      arms: [control, popularity, best]     # model names; "best" = best model by the objective,
                                            # "control" = no offer
      calibrate: history                    # organic rate from the training history | none
      target_control_conversion: null       # or calibrate the organic rate to this conversion
      slots: 5                              # ... any cs_lab.simulate.SimulationConfig field
      take_rate: 0.3
      cuped: true

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
from cs_lab.simulate import Arm, SimulationConfig, SimulationResult, calibrate, simulate, sessions_from_holdout

CONTROL, BEST = "control", "best"


class SimulationSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    arms: list[str] = [CONTROL, "popularity", BEST]
    calibrate: Literal["history", "none"] = "history"
    target_control_conversion: float | None = None
    settings: dict[str, Any] = {}

    @classmethod
    def parse(cls, raw: dict[str, Any] | None, where: str = "simulation") -> "SimulationSpec":
        raw = dict(raw or {})
        own = {k: raw.pop(k) for k in list(raw) if k in ("arms", "calibrate", "target_control_conversion")}
        try:
            spec = cls.model_validate({**own, "settings": raw})
        except ValidationError as exc:
            raise ConfigError("; ".join(f"{where}.{'.'.join(map(str, e['loc']))}: {e['msg']}"
                                        for e in exc.errors())) from None
        if "arms" in raw or "control" in raw:
            raise ConfigError(f"{where}: name arms with 'arms' (model names, 'best', 'control')")
        spec.config()  # validate the settings now
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
                   max_sessions: int | None = None) -> SimulationOutcome:
    """Simulate an A/B test of the named arms on the test carts. ``recs``: model name -> (n, K) ids
    in the final training vocabulary."""
    names = resolve_arms(spec, list(recs), best)
    ev = task.final.eval
    sessions, truth = sessions_from_holdout(ev.holdout, task.split.test, history=task.split.train)
    keep = slice(None) if max_sessions is None else slice(0, max_sessions)
    sessions = sessions.iloc[keep].reset_index(drop=True)
    truth = truth[truth["query_id"].isin(sessions["query_id"])].reset_index(drop=True)
    cfg = spec.config(names)
    if "seed" not in spec.settings:
        cfg = cfg.model_copy(update={"seed": seed})
    report: dict = {}
    if spec.target_control_conversion is not None:
        cal = calibrate(cfg, sessions, truth, target_control_conversion=spec.target_control_conversion)
        cfg, report = cal.config, cal.report
    elif spec.calibrate == "history":
        cal = calibrate(cfg, sessions, truth, history=task.split.train)
        cfg, report = cal.config, cal.report
    vocab = task.final.train.items
    n = len(sessions)
    arms = {name: (None if name == CONTROL else Arm(recs[name][:n], items=vocab)) for name in names}
    result = simulate(sessions, truth, arms, cfg)
    return SimulationOutcome(result, names, report)


def headline_table(result: SimulationResult) -> pd.DataFrame:
    """Per-arm outcomes joined with the headline lift vs control, one row per (arm, metric)."""
    return result.headline()
