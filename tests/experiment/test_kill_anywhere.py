"""`cs-lab run` SIGKILLed, then resumed with the same command: the result is the one of an
uninterrupted run (docs/failure_modes.md). Two ways to choose the moments:

- ten seeded random moments spread over the whole run (preparation, tuning, fitting, recommending,
  tracking): whatever stage is running then;
- named kill points (cs_lab/_faults.py, ``CS_LAB_KILL_AT=<point>:<n>``): the process SIGKILLs
  itself the n-th time it reaches the point, so kills land deterministically inside the
  recommend stage (between a recommendation list's checksum sidecar and its rename), inside MLflow
  logging (before a metrics batch, before a run is ended) and inside an Optuna journal append
  (after the line, before its checksum record). n: the first, the last and a seeded one of the
  times an uninterrupted run reaches the point.

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
from collections import Counter

import optuna
import pytest

import cs_lab
from cs_lab._faults import ENV
from cs_lab.testing.experiment import tiny_spec

pytestmark = pytest.mark.slow
BUDGET = 4
MOMENTS = 10
NAME = "killany"


def _env(folder, kill_at=None):
    root = os.path.dirname(os.path.dirname(cs_lab.__file__))
    env = {**os.environ, "CS_LAB_CACHE_DIR": str(folder / "cache"),
           "PYTHONPATH": os.pathsep.join([root, os.environ.get("PYTHONPATH", "")])}
    env.pop(ENV, None)
    if kill_at:
        env[ENV] = kill_at
    return env


def _cmd(spec, folder):
    return [sys.executable, "-m", "cs_lab", "run", str(spec), "--runs-dir", str(folder / "runs"),
            "--tracking-uri", f"sqlite:///{folder / 'mlflow.db'}"]


def _run(spec, folder, timeout=900, kill_at=None):
    out = subprocess.run(_cmd(spec, folder), cwd=folder, env=_env(folder, kill_at), capture_output=True,
                         text=True, timeout=timeout)
    assert out.returncode == 0, out.stderr[-3000:]
    return out


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


@pytest.fixture(scope="module")
def whole(tmp_path_factory):
    """The uninterrupted run: spec, duration, result, trials, and how often it reached each kill point."""
    tmp_path = tmp_path_factory.mktemp("kill_anywhere")
    spec = tiny_spec(tmp_path, name=NAME, trials=BUDGET)
    folder = tmp_path / "whole"
    folder.mkdir()
    t0 = time.monotonic()
    out = _run(spec, folder, kill_at="trace")
    duration = time.monotonic() - t0
    points = Counter(line.split(": ", 1)[1] for line in out.stderr.splitlines()
                     if line.startswith("cs_lab kill point: "))
    want_metrics, want_winner, running = _result(folder)
    want_trials = _trials(folder)
    assert running == 0 and want_winner and all(want_metrics.values())
    assert want_trials and all(n == BUDGET for n, _, _ in want_trials.values())
    return tmp_path, spec, duration, (want_metrics, want_winner), want_trials, points


def _check_resume(spec, folder, want, want_trials, what):
    _run(spec, folder)                    # resume: the same command
    assert _trials(folder) == want_trials, f"{what}: trials differ"
    metrics, winner, running = _result(folder)
    assert running == 0, f"{what}: {running} MLflow run(s) left RUNNING"
    assert metrics == want[0], f"{what}: test metrics differ"
    assert winner == want[1], what


def _last_line(folder):
    lines = (folder / "killed.log").read_text().strip().splitlines()
    return lines[-1][:100] if lines else "(none)"


#: kill point -> which of the times an uninterrupted run reaches it are killed
POINTS = {"recommend": ("first", "seeded", "last"), "mlflow.log_metrics": ("seeded", "last"),
          "mlflow.end_run": ("seeded", "last"), "journal.append": ("seeded",)}


def test_sigkill_at_named_points_then_resume_gives_the_uninterrupted_result(whole):
    tmp_path, spec, _, want, want_trials, points = whole
    assert all(points[p] >= 3 for p in POINTS), points     # every point is reached by a run
    rng = random.Random(20261201)
    moments = [(p, {"first": 1, "seeded": rng.randint(2, points[p] - 1), "last": points[p]}[which])
               for p, picks in POINTS.items() for which in picks]
    for p, n in moments:
        folder = tmp_path / f"{p}-{n}"
        folder.mkdir()
        with open(folder / "killed.log", "w") as log:
            proc = subprocess.run(_cmd(spec, folder), cwd=folder, env=_env(folder, f"{p}:{n}"), stdout=log,
                                  stderr=subprocess.STDOUT, timeout=900)
        print(f"{p}:{n} of {points[p]}: rc={proc.returncode}, last output: {_last_line(folder)}")
        assert proc.returncode == -signal.SIGKILL, f"{p}:{n}: not killed (rc={proc.returncode})"
        _check_resume(spec, folder, want, want_trials, f"kill at {p}:{n}")


def test_sigkill_anywhere_then_resume_gives_the_uninterrupted_result(whole):
    tmp_path, spec, duration, want, want_trials, _ = whole
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
        print(f"moment {i}: {delay:.1f}s of {duration:.1f}s, rc={proc.returncode}, last output: "
              f"{_last_line(folder)}")
        _check_resume(spec, folder, want, want_trials, f"kill at {delay:.1f}s")
    assert killed >= MOMENTS // 2            # the process was alive (really killed) at most moments (load varies)
