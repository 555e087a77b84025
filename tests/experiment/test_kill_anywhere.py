"""`cs-lab run` SIGKILLed at ten seeded random moments spread over the whole run (preparation,
tuning, fitting, recommending, tracking) and resumed with the same command: the result is the one
of an uninterrupted run (docs/failure_modes.md).

After each completed resume: no completed Optuna trial lost (the study holds its budget, with the
trials an uninterrupted run proposes), no MLflow run left RUNNING, and the test metrics of the
latest complete set of model runs (cs_lab.report.runs.latest_runs) and the winner equal the
uninterrupted run's exactly."""

import os
import random
import signal
import subprocess
import sys
import time

import optuna
import pytest

import cs_lab
from cs_lab.testing.experiment import tiny_spec

pytestmark = pytest.mark.slow
BUDGET = 4
MOMENTS = 10
NAME = "killany"


def _env(folder):
    root = os.path.dirname(os.path.dirname(cs_lab.__file__))
    return {**os.environ, "CS_LAB_CACHE_DIR": str(folder / "cache"),
            "PYTHONPATH": os.pathsep.join([root, os.environ.get("PYTHONPATH", "")])}


def _cmd(spec, folder):
    return [sys.executable, "-m", "cs_lab", "run", str(spec), "--runs-dir", str(folder / "runs"),
            "--tracking-uri", f"sqlite:///{folder / 'mlflow.db'}"]


def _run(spec, folder, timeout=300):
    out = subprocess.run(_cmd(spec, folder), cwd=folder, env=_env(folder), capture_output=True, text=True,
                         timeout=timeout)
    assert out.returncode == 0, out.stderr[-3000:]


def _trials(folder):
    """Per study of the run folder's journal: (COMPLETE count, COMPLETE/PRUNED states and params in
    order, RUNNING count). The budget counts completed trials (pruned ones are replaced)."""
    from optuna.storages import JournalStorage
    from optuna.storages.journal import JournalFileBackend

    st = JournalStorage(JournalFileBackend(str(folder / "runs" / NAME / "optuna.journal")))
    out = {}
    for name in optuna.get_all_study_names(st):
        trials = optuna.load_study(study_name=name, storage=st).trials
        done = [t for t in trials if t.state.name in ("COMPLETE", "PRUNED")]
        out[name] = (sum(t.state.name == "COMPLETE" for t in done), [(t.state.name, t.params) for t in done],
                     sum(t.state.name == "RUNNING" for t in trials))
    return out


def _result(folder):
    from mlflow.tracking import MlflowClient

    from cs_lab.report.runs import latest_runs

    client = MlflowClient(tracking_uri=f"sqlite:///{folder / 'mlflow.db'}")
    exp = client.get_experiment_by_name(NAME)
    running = client.search_runs([exp.experiment_id], filter_string="attributes.status = 'RUNNING'")
    runs = latest_runs(client, NAME)
    metrics = {m: {k: v for k, v in r.data.metrics.items() if k.startswith("test.")}
               for m, r in runs.models.items()}
    return metrics, runs.comparison.data.tags.get("winner"), len(running)


def test_sigkill_anywhere_then_resume_gives_the_uninterrupted_result(tmp_path):
    spec = tiny_spec(tmp_path, name=NAME, trials=BUDGET)
    whole = tmp_path / "whole"
    whole.mkdir()
    t0 = time.monotonic()
    _run(spec, whole)
    duration = time.monotonic() - t0
    want_metrics, want_winner, running = _result(whole)
    want_trials = _trials(whole)
    assert running == 0 and want_winner and all(want_metrics.values())
    assert want_trials and all(n == BUDGET for n, _, _ in want_trials.values())

    rng = random.Random(20261130)
    killed = 0
    for i in range(MOMENTS):                 # one moment per tenth of the run: spread over all stages
        delay = 0.9 * duration * (i + rng.random()) / MOMENTS    # 0.9: a resume may run faster
        folder = tmp_path / f"kill{i}"
        folder.mkdir()
        with open(folder / "killed.log", "w") as log:
            proc = subprocess.Popen(_cmd(spec, folder), cwd=folder, env=_env(folder), stdout=log,
                                    stderr=subprocess.STDOUT)
        try:
            proc.wait(timeout=delay)
        except subprocess.TimeoutExpired:
            proc.send_signal(signal.SIGKILL)
            killed += 1
        proc.wait()
        lines = (folder / "killed.log").read_text().strip().splitlines()
        print(f"moment {i}: {delay:.1f}s of {duration:.1f}s, rc={proc.returncode}, last output: "
              f"{lines[-1][:100] if lines else '(none)'}")
        _run(spec, folder)                    # resume: the same command
        got_trials = _trials(folder)
        assert got_trials == want_trials, f"kill at {delay:.1f}s: trials differ"
        metrics, winner, running = _result(folder)
        assert running == 0, f"kill at {delay:.1f}s: {running} MLflow run(s) left RUNNING"
        assert metrics == want_metrics, f"kill at {delay:.1f}s: test metrics differ"
        assert winner == want_winner, f"kill at {delay:.1f}s"
    assert killed >= MOMENTS // 2            # the process was alive (really killed) at most moments (load varies)
