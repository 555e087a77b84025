"""`cs-lab report SPEC_OR_EXPERIMENT [--tracking-uri URI] [--out DIR] [--dataset NAME_OR_YAML]
[--only results|dataset] [--no-log]`.

Executes the report notebooks (notebooks/results_report.ipynb, notebooks/dataset_report.ipynb)
headless against the latest complete run of one experiment and writes HTML (and the executed
notebooks and PNG figures) to DIR/<experiment>/. A spec path names its experiment (the spec's
``name``) and its dataset; a bare name is an MLflow experiment, whose logged spec gives the dataset.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("report", help="run the results and dataset report notebooks for one experiment (HTML)")
    p.add_argument("target", metavar="SPEC_OR_EXPERIMENT",
                   help="an experiment spec (experiments/*.yaml) or an MLflow experiment name")
    p.add_argument("--tracking-uri", default=None,
                   help="MLflow tracking URI (default: $MLFLOW_TRACKING_URI, else sqlite:///mlflow.db here)")
    p.add_argument("--out", type=Path, default=Path("reports"), help="output folder (default: ./reports)")
    p.add_argument("--dataset", default="",
                   help="dataset name or mapping YAML for the dataset report (default: the spec's dataset)")
    p.add_argument("--only", choices=("results", "dataset"), default=None, help="run one of the two reports")
    p.add_argument("--no-log", action="store_true", help="do not log the figures to the MLflow comparison run")
    p.set_defaults(func=cmd_report)


def resolve_target(target: str) -> tuple[str, str]:
    """(experiment name, dataset) of a spec path; (target, "") for an experiment name."""
    path = Path(target)
    if path.suffix.lower() in (".yaml", ".yml"):
        from cs_lab.experiment.spec import load_spec

        spec = load_spec(path)
        dataset = spec.dataset
        if dataset.endswith((".yaml", ".yml")) and not Path(dataset).is_absolute():
            dataset = str(Path(dataset).resolve())
        return spec.name, dataset
    return target, ""


def check_experiment(experiment: str, uri: str) -> None:
    """Fail before starting a kernel when the experiment has no complete run (ReportError)."""
    from mlflow import MlflowClient

    from cs_lab.report import latest_runs

    latest_runs(MlflowClient(uri), experiment)


def cmd_report(args) -> int:
    from cs_lab.report.execute import NOTEBOOKS, run_reports
    from cs_lab.tracking.tracker import default_tracking_uri

    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")  # also for the kernels
    experiment, dataset = resolve_target(args.target)
    uri = args.tracking_uri or os.environ.get("MLFLOW_TRACKING_URI") or default_tracking_uri()
    check_experiment(experiment, uri)
    which = NOTEBOOKS if args.only is None else (f"{args.only}_report",)
    outputs = run_reports(experiment, uri, args.out, dataset=args.dataset or dataset, which=which,
                          log_to_mlflow=not args.no_log)
    for out in outputs.values():
        print(f"{out.name}: {out.html}")
    if not args.no_log:
        print(f"figures logged to the 'comparison' run of {experiment!r} under report/ at {uri}")
    return 0
