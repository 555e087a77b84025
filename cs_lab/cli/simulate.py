"""`cs-lab simulate SPEC [--sessions N] [--json]`: the spec's models (cached when unchanged), then a
simulated A/B test of its ``simulation:`` arms on the test carts."""

from __future__ import annotations

import argparse
import json
import math
import os
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("simulate", help="offline A/B simulation of an experiment's recommenders")
    p.add_argument("spec", help="experiment YAML; its 'simulation:' section (defaults if absent)")
    p.add_argument("--sessions", type=int, default=None, help="number of test carts (sessions) to simulate")
    p.add_argument("--json", action="store_true",
                   help="print one JSON object: per-arm outcomes, lift vs control with CI (and p-value where "
                        "one makes sense), the rates with their sources, and the parameter-bootstrap draws "
                        "(P(B beats A), ranking)")
    p.add_argument("--trials", type=int, default=None, help="Optuna trials per tunable model (overrides the spec)")
    p.add_argument("--tracking-uri", default=None,
                   help="MLflow tracking URI (default: $MLFLOW_TRACKING_URI, else sqlite:///mlflow.db here)")
    p.add_argument("--no-track", action="store_true", help="do not log to MLflow")
    p.add_argument("--runs-dir", default=os.environ.get("CS_LAB_RUNS_DIR", "runs"),
                   help="folder for run outputs and the MLflow store (default: $CS_LAB_RUNS_DIR or ./runs)")
    p.set_defaults(func=cmd_simulate)


def cmd_simulate(args) -> int:
    from cs_lab.cli.run import check_trials, make_tracker, spec_description
    from cs_lab.experiment.runner import ExperimentRunner, RunOptions
    from cs_lab.experiment.spec import load_spec

    check_trials(args.trials)
    overrides: dict = {}
    if args.sessions is not None:
        if args.sessions <= 0:
            from cs_lab.errors import ConfigError
            raise ConfigError(f"--sessions must be positive, got {args.sessions}")
        overrides["task"] = {"max_queries": args.sessions}
    spec = load_spec(args.spec, overrides=overrides)
    if spec.task.kind == "next_basket":
        from cs_lab.errors import ConfigError
        raise ConfigError(f"{args.spec}: task.kind next_basket: the A/B simulation scores carts, and "
                          "next-basket queries have none; simulate a basket-completion spec")
    if spec.simulation is None:
        spec = spec.model_copy(update={"simulation": {}})
    tracker = make_tracker(spec.name, args.tracking_uri, args.no_track, spec_description(spec))
    opts = RunOptions(run_dir=Path(args.runs_dir) / spec.name, trials=args.trials, progress=True,
                      log_models=False)
    result = ExperimentRunner(spec, tracker, opts).run()
    res = result.simulation.result
    if args.json:
        print(json.dumps(simulation_json(res, result.simulation), allow_nan=False))
    return 0


def _num(v):
    try:
        f = float(v)
    except (TypeError, ValueError):
        return v
    return None if math.isnan(f) or math.isinf(f) else f


def simulation_json(res, outcome) -> dict:
    arms = {}
    for r in res.arms.to_dict(orient="records"):
        arms[r["arm"]] = {k: _num(r[k]) for k in ("n", "conversion", "offer_conversion", "revenue_per_session",
                                                   "order_value", "margin_per_session") if k in r}
    lift = [{k: _num(r[k]) if k not in ("arm", "metric", "method") else r[k]
             for k in ("arm", "metric", "method", "abs_lift", "abs_ci_low", "abs_ci_high", "rel_lift",
                       "rel_ci_low", "rel_ci_high", "p_value")}
            for r in res.headline().to_dict(orient="records")]
    full = res.to_dict()
    out = {"sessions": int(len(res.per_session)), "control": "control", "arms": arms, "lift": lift,
           "calibration": outcome.calibration, "organic": res.organic_source,
           "rates": full.get("rates", [{"name": "take_rate", "value": res.config.take_rate},
                                       {"name": "organic_rate", "value": res.config.organic_rate}])}
    if "draws" in full:
        out["draws"] = full["draws"]
    return out
