"""`cs-lab tune SPEC --storage URL [--trials N] [--model NAME]`: a tuning worker.

Start it N times (on one machine or several) with the same spec and storage: the workers join
the same Optuna studies and stop when each study holds its budget of finished trials. Then
`cs-lab run SPEC --storage URL` refits the best parameters and tests them.
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("tune", help="a tuning worker on a shared Optuna storage (start several)")
    p.add_argument("spec", help="experiment YAML")
    p.add_argument("--storage", required=True,
                   help="shared Optuna storage: a journal file path (*.journal), sqlite:///..., postgresql://...")
    p.add_argument("--trials", type=int, default=None, help="finished trials each study should reach")
    p.add_argument("--model", action="append", default=None, help="tune only this model (repeatable)")
    p.add_argument("--tracking-uri", default=None,
                   help="MLflow tracking URI (default: $MLFLOW_TRACKING_URI, else sqlite:///mlflow.db here)")
    p.add_argument("--no-track", action="store_true", help="do not log to MLflow")
    p.add_argument("--runs-dir", default=os.environ.get("CS_LAB_RUNS_DIR", "runs"),
                   help="folder for run outputs and the MLflow store (default: $CS_LAB_RUNS_DIR or ./runs)")
    p.add_argument("--json", action="store_true", help="print the trial numbers this worker ran as JSON")
    p.set_defaults(func=cmd_tune)


def cmd_tune(args) -> int:
    from cs_lab.cli.run import close_orphans, killed_on_interrupt, make_tracker, spec_description
    from cs_lab.experiment.runner import ExperimentRunner, RunOptions
    from cs_lab.experiment.spec import load_spec

    spec = load_spec(args.spec)
    tracker = make_tracker(spec.name, args.tracking_uri, args.no_track, spec_description(spec))
    close_orphans(tracker, args.json)   # workers of this host that were killed; live ones are left alone
    opts = RunOptions(run_dir=Path(args.runs_dir) / spec.name, trials=args.trials, storage=args.storage, resume=False,
                      progress=not args.json, log_models=False,
                      # workers on one study must not propose the same parameters: offset the seed
                      sampler_seed_offset=os.getpid())
    with killed_on_interrupt(tracker):
        ran = ExperimentRunner(spec, tracker, opts).tune(args.model)
    if args.json:
        print(json.dumps({"pid": os.getpid(), "trials": ran}))
    else:
        for name, numbers in ran.items():
            print(f"{name}: this worker ran trial(s) {numbers}")
    return 0
