"""`cs-lab run SPEC [--trials N] [--resume | --fresh] [--tracking-uri URI] [--storage URL]`."""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("run", help="run an experiment spec end to end (tune, refit, test, compare, track)")
    p.add_argument("spec", nargs="+", help="experiment YAML file(s) (experiments/*.yaml), run in order")
    p.add_argument("--skip-missing-data", action="store_true",
                   help="skip (with a message) a spec whose dataset's raw files are absent instead of failing")
    p.add_argument("--trials", type=int, default=None, help="Optuna trials per tunable model (overrides the spec)")
    p.add_argument("--resume", action="store_true",
                   help="continue a killed run: completed trials are kept, stale running trials re-run "
                        "(unchanged work is always reused; this also re-runs trials a crash left RUNNING)")
    p.add_argument("--fresh", action="store_true", help="discard the run folder (studies, cached models) first")
    p.add_argument("--tracking-uri", default=None,
                   help="MLflow tracking URI (default: $MLFLOW_TRACKING_URI, else sqlite:///mlflow.db here)")
    p.add_argument("--storage", default=None,
                   help="shared Optuna storage (sqlite:///..., postgresql://..., or a .journal file)")
    p.add_argument("--runs-dir", default=os.environ.get("CS_LAB_RUNS_DIR", "runs"),
                   help="where run folders live (default: ./runs)")
    p.add_argument("--wait", action="store_true",
                   help="if another process is running this spec's run folder, wait for it to finish "
                        "instead of failing")
    p.add_argument("--no-track", action="store_true", help="do not log to MLflow")
    p.add_argument("--quiet", action="store_true", help="no progress output")
    p.set_defaults(func=cmd_run)


def make_tracker(experiment: str, tracking_uri: str | None, no_track: bool):
    from cs_lab.tracking import MlflowTracker, NullTracker

    if no_track:
        return NullTracker()
    uri = tracking_uri or os.environ.get("MLFLOW_TRACKING_URI")
    artifacts = None
    if uri is None or uri.startswith("sqlite:"):
        artifacts = (Path.cwd() / "mlartifacts" / experiment).resolve().as_uri()
    return MlflowTracker(experiment, tracking_uri=uri, artifact_location=artifacts)


def close_orphans(tracker, quiet: bool = False) -> None:
    """End KILLED the MLflow runs a dead process on this host left RUNNING (see close_orphan_runs)."""
    from cs_lab.tracking.tracker import close_orphan_runs

    closed = close_orphan_runs(tracker)
    if closed and not quiet:
        print(f"cs-lab: {len(closed)} run(s) left RUNNING by a killed process ended KILLED: {closed}",
              file=sys.stderr)


@contextlib.contextmanager
def killed_on_interrupt(tracker):
    """On Ctrl-C / SIGTERM, after the runner has ended its runs KILLED, end any run of this
    process still RUNNING (one created in the instant the signal arrived)."""
    try:
        yield
    except KeyboardInterrupt:
        from cs_lab.tracking.tracker import close_own_runs

        close_own_runs(tracker)
        raise


def cmd_run(args) -> int:
    from cs_lab.experiment.spec import load_spec

    specs = [load_spec(s) for s in args.spec]  # validate every spec before any work starts
    for spec in specs:
        missing = _missing_raw(spec.dataset)
        if missing and args.skip_missing_data:
            print(f"cs-lab: skipping {spec.name}: raw data of {spec.dataset!r} not found ({missing})", file=sys.stderr)
            continue
        _run_one(spec, args)
    return 0


def _missing_raw(dataset: str) -> str | None:
    from cs_lab.data.loaders import LOADERS

    if dataset not in LOADERS:
        return None
    status = LOADERS[dataset]().raw_status()
    gone = [k for k, v in status.items() if v is None]
    return ", ".join(gone) if gone else None


def _run_one(spec, args) -> None:
    from cs_lab.experiment.locking import RunFolderLock
    from cs_lab.experiment.runner import ExperimentRunner, RunOptions

    run_dir = (Path(args.runs_dir) / spec.name).absolute()
    # one process per run folder: its journal's RUNNING trials and its cached models are ours
    with RunFolderLock(run_dir, wait=getattr(args, "wait", False)) as lock:
        if args.fresh:
            lock.clear()
        tracker = make_tracker(spec.name, args.tracking_uri, args.no_track)
        close_orphans(tracker, args.quiet)
        opts = RunOptions(run_dir=run_dir, trials=args.trials, resume=True, storage=args.storage,
                          progress=not args.quiet)
        with killed_on_interrupt(tracker):
            result = ExperimentRunner(spec, tracker, opts).run()
    if result.leaderboard is not None and args.quiet:
        from cs_lab.experiment.runner import format_leaderboard
        print(format_leaderboard(result.leaderboard, spec))
    uri = getattr(tracker, "tracking_uri", None)
    if uri:
        print(f"\nMLflow: experiment {spec.name!r} at {uri}  (make mlflow-ui, then open http://127.0.0.1:5000)")
