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
    p.add_argument("--jobs", type=int, default=1, metavar="N",
                   help="run up to N specs at once, each in its own process (default 1: in order). Each "
                        "spec's output goes to runs/<spec>/console.log and is printed when it finishes")
    p.add_argument("--no-track", action="store_true", help="do not log to MLflow")
    p.add_argument("--quiet", action="store_true", help="no progress output")
    p.set_defaults(func=cmd_run)


def check_trials(trials: int | None) -> None:
    """``--trials`` is a count: 0 (no tuning: the spec's values) or more."""
    if trials is not None and trials < 0:
        from cs_lab.errors import ConfigError
        raise ConfigError(f"--trials must be 0 or more, got {trials}")


def make_tracker(experiment: str, tracking_uri: str | None, no_track: bool, description: str | None = None):
    from cs_lab.tracking import MlflowTracker, NullTracker

    if no_track:
        return NullTracker()
    uri = tracking_uri or os.environ.get("MLFLOW_TRACKING_URI")
    artifacts = None
    if uri is None or uri.startswith("sqlite:"):
        artifacts = (Path.cwd() / "mlartifacts" / experiment).resolve().as_uri()
    return MlflowTracker(experiment, tracking_uri=uri, artifact_location=artifacts, description=description)


def spec_description(spec) -> str:
    """The MLflow experiment description: the spec's own, plus where it came from and what it runs."""
    models = ", ".join(m.name for m in spec.models)
    head = spec.description.strip() or f"{spec.name} on {spec.dataset}"
    return (f"{head}\n\nDataset `{spec.dataset}`; models: {models}; objective `{spec.metrics.objective}` "
            f"(winner chosen on validation). Spec `{spec.name}`; see the `comparison` run for the leaderboard.")


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

    if args.jobs < 1:
        from cs_lab.errors import ConfigError
        raise ConfigError(f"--jobs must be at least 1, got {args.jobs}")
    check_trials(args.trials)
    from cs_lab.experiment.stages.invocation import stamp

    args.invocation = stamp()   # names each spec's parent run <spec>@<this>, in every worker alike
    specs = [load_spec(s) for s in args.spec]  # validate every spec before any work starts
    todo = []
    for spec in specs:
        missing = _missing_raw(spec.dataset)
        if missing and args.skip_missing_data:
            print(f"cs-lab: skipping {spec.name}: raw data of {spec.dataset!r} not found; expected {missing}",
                  file=sys.stderr)
            continue
        todo.append(spec)
    if args.jobs > 1 and len(todo) > 1:
        return _run_parallel(todo, args)
    for spec in todo:
        _run_one(spec, args)
    return 0


THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS")


def worker_thread_env(jobs: int, environ=os.environ) -> dict[str, str]:
    """The thread settings for each of ``jobs`` worker processes: its share of the cores for BLAS,
    OpenMP and numba. Unlimited, every worker starts a thread per core and they spin against each
    other. A variable the user set is left alone; scores do not depend on it (a row's numbers never
    depend on the threads: tests/cli/test_worker_threads.py)."""
    share = str(max(1, (os.cpu_count() or 1) // max(1, jobs)))
    return {var: share for var in THREAD_VARIABLES if var not in environ}


@contextlib.contextmanager
def _environment(values: dict[str, str]):
    """``values`` in this process's environment for the block (spawned workers inherit them at
    start), restored after: this process's own numba refuses a changed thread count."""
    old = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _run_parallel(specs, args) -> int:
    """Specs in up to ``args.jobs`` worker processes (spawned: no state shared but the files). Each
    worker writes its output to runs/<spec>/console.log; the log is printed when the spec finishes,
    in the order they finish. Ctrl-C / SIGTERM stops the workers (their runs end KILLED)."""
    import multiprocessing as mp
    import time
    from concurrent.futures import ProcessPoolExecutor, as_completed

    logs = {s.name: (Path(args.runs_dir) / s.name / "console.log").absolute() for s in specs}
    print(f"cs-lab: {len(specs)} specs, {args.jobs} at a time; progress in " +
          ", ".join(str(p) for p in logs.values()), file=sys.stderr, flush=True)
    failed = []
    t0 = time.perf_counter()
    with ProcessPoolExecutor(max_workers=args.jobs, mp_context=mp.get_context("spawn")) as pool:
        with _environment(worker_thread_env(args.jobs)):   # the workers start during the submits
            futures = {pool.submit(_worker, spec.model_dump(mode="json"), vars(args), str(logs[spec.name])):
                       spec.name for spec in specs}
        try:
            for fut in as_completed(futures):
                name = futures[fut]
                error = fut.result()
                print(logs[name].read_text(errors="replace") if logs[name].is_file() else "", flush=True)
                print(f"cs-lab: {name} {'FAILED: ' + error if error else 'finished'} "
                      f"({time.perf_counter() - t0:.0f}s since start)", file=sys.stderr, flush=True)
                if error:
                    failed.append(name)
        except KeyboardInterrupt:
            procs = list((getattr(pool, "_processes", None) or {}).values())   # shutdown forgets them
            pool.shutdown(wait=False, cancel_futures=True)   # queued specs never start
            stop_workers(procs)
            raise
    if failed:
        print(f"cs-lab: {len(failed)} spec(s) failed: {failed} (their logs are above)", file=sys.stderr)
        return 1
    return 0


STOP_GRACE_S = 10.0


def stop_workers(procs, grace: float = STOP_GRACE_S) -> None:
    """SIGTERM every worker (each ends its MLflow runs KILLED and exits), wait up to ``grace``
    seconds, then SIGKILL the ones still inside a long native call (a fit in C or numba sees the
    signal only when it returns); their runs are closed as orphans by the next start."""
    import time

    deadline = time.monotonic() + grace
    # twice: a SIGTERM that lands while the worker runs a garbage-collector callback is swallowed
    # there by Python ("Exception ignored in ..."), so a second one goes after half the grace
    for share in (0.5, 1.0):
        for proc in procs:
            if proc.is_alive():
                proc.terminate()
        until = deadline - (1.0 - share) * grace
        for proc in procs:
            proc.join(max(0.0, until - time.monotonic()))
    for proc in procs:
        if proc.is_alive():
            proc.kill()
            proc.join(5.0)


def _worker(spec_json: dict, args: dict, log: str) -> str | None:
    """One spec in a worker process, output to ``log``; returns an error message or None."""
    import argparse
    import traceback

    from cs_lab.cli import install_sigterm_handler
    from cs_lab.errors import CsLabError
    from cs_lab.experiment.spec import ExperimentSpec

    install_sigterm_handler()
    Path(log).parent.mkdir(parents=True, exist_ok=True)
    spec = ExperimentSpec.model_validate(spec_json)
    with open(log, "w", buffering=1) as out, contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        try:
            _run_one(spec, argparse.Namespace(**args))
        except CsLabError as exc:
            print(f"cs-lab: error: {exc}", file=out)
            return str(exc)
        except Exception as exc:  # noqa: BLE001 - reported with its traceback in the log
            traceback.print_exc(file=out)
            return f"{type(exc).__name__}: {exc}"
        except KeyboardInterrupt:      # SIGTERM from the parent: the runs are ended KILLED by now;
            print("cs-lab: terminated; resume with the same command", file=out)
            out.flush()
            os._exit(143)              # leave the pool's worker loop (it would wait for more work)
    return None


def _missing_raw(dataset: str) -> str | None:
    from cs_lab.data.loaders import LOADERS

    if dataset not in LOADERS:
        return None
    return LOADERS[dataset]().missing_raw()


def _run_one(spec, args) -> None:
    from cs_lab.experiment.locking import RunFolderLock
    from cs_lab.experiment.runner import ExperimentRunner, RunOptions

    run_dir = (Path(args.runs_dir) / spec.name).absolute()
    # one process per run folder: its journal's RUNNING trials and its cached models are ours
    with RunFolderLock(run_dir, wait=getattr(args, "wait", False)) as lock:
        if args.fresh:
            lock.clear()
        tracker = make_tracker(spec.name, args.tracking_uri, args.no_track, spec_description(spec))
        close_orphans(tracker, args.quiet)
        opts = RunOptions(run_dir=run_dir, trials=args.trials, resume=True, storage=args.storage,
                          progress=not args.quiet, invocation=getattr(args, "invocation", None))
        with killed_on_interrupt(tracker):
            result = ExperimentRunner(spec, tracker, opts).run()
    if result.leaderboard is not None and args.quiet:
        from cs_lab.experiment.runner import format_leaderboard
        print(format_leaderboard(result.leaderboard, spec))
    uri = getattr(tracker, "tracking_uri", None)
    if uri:
        exp_id = getattr(tracker, "experiment_id", None)
        page = f"#/experiments/{exp_id}/runs?workflowType=machine_learning" if exp_id else ""
        print(f"\nMLflow: experiment {spec.name!r} at {uri}  (make mlflow-ui, then open "
              f"http://127.0.0.1:5000/{page})")
        if exp_id and result.invocation_run:
            print(f"  this run's row: http://127.0.0.1:5000/#/experiments/{exp_id}/runs/{result.invocation_run} "
                  "(its model, comparison and ab_simulation runs nest under it)")
