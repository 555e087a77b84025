"""`cs-lab run` killed mid-tuning (SIGTERM, SIGKILL) and run again: MLflow runs end KILLED, the
trial in flight is failed and re-run, the study reaches its budget of completed trials, the folder is taken over."""

import os
import signal
import subprocess
import sys
import time

import optuna
import pytest

import cs_lab
from cs_lab.testing.experiment import tiny_spec

pytestmark = pytest.mark.slow
BUDGET = 12


def _env(tmp_cache):
    root = os.path.dirname(os.path.dirname(cs_lab.__file__))
    return {**os.environ, "CS_LAB_CACHE_DIR": str(tmp_cache),
            "PYTHONPATH": os.pathsep.join([root, os.environ.get("PYTHONPATH", "")])}


def _start(tmp_path, env):
    spec = tiny_spec(tmp_path, name="killme", trials=BUDGET)
    cmd = [sys.executable, "-m", "cs_lab", "run", str(spec), "--runs-dir", str(tmp_path / "runs"),
           "--tracking-uri", f"sqlite:///{tmp_path / 'mlflow.db'}"]
    return cmd, subprocess.Popen(cmd, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                 text=True)


def _trials(tmp_path):
    from optuna.storages import JournalStorage
    from optuna.storages.journal import JournalFileBackend

    journal = tmp_path / "runs" / "killme" / "optuna.journal"
    if not journal.exists():
        return []
    st = JournalStorage(JournalFileBackend(str(journal)))
    names = optuna.get_all_study_names(st)
    return optuna.load_study(study_name=names[0], storage=st).trials if names else []


def _states(tmp_path):
    return [t.state.name for t in _trials(tmp_path)]


def _stop_inside_a_trial(proc, tmp_path, timeout=300):
    """Poll the journal until a trial is RUNNING after one finished; freeze the process there."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        assert proc.poll() is None, proc.communicate()[1][-3000:]
        s = _states(tmp_path)
        if "RUNNING" in s and ("COMPLETE" in s or "PRUNED" in s):
            proc.send_signal(signal.SIGSTOP)
            if "RUNNING" in _states(tmp_path):
                return
            proc.send_signal(signal.SIGCONT)
        time.sleep(0.05)
    raise AssertionError("no trial seen RUNNING")


def _runs(tmp_path):
    from cs_lab.tracking.tracker import MlflowTracker

    return MlflowTracker("killme", tracking_uri=f"sqlite:///{tmp_path / 'mlflow.db'}").runs()


def _resume_and_check(cmd, tmp_path, env):
    out = subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-3000:]
    s = _states(tmp_path)
    # the budget counts COMPLETED trials; pruned ones are replaced (at most tuning.max_pruned = BUDGET)
    assert s.count("COMPLETE") == BUDGET and s.count("PRUNED") <= BUDGET and "RUNNING" not in s
    assert not [r for r in _runs(tmp_path) if r.info.status == "RUNNING"]
    return out.stderr


def test_sigterm_ends_runs_killed_and_resume_completes(tmp_path, tmp_cache):
    env = _env(tmp_cache)
    cmd, proc = _start(tmp_path, env)
    _stop_inside_a_trial(proc, tmp_path)
    proc.send_signal(signal.SIGTERM)
    proc.send_signal(signal.SIGCONT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 143, err[-3000:]
    assert "terminated" in err
    status = [r.info.status for r in _runs(tmp_path)]
    assert "RUNNING" not in status and "KILLED" in status and "FAILED" not in status   # the trial's run too
    assert "RUNNING" not in _states(tmp_path)           # the trial in flight ended FAIL
    _resume_and_check(cmd, tmp_path, env)
    tops = [r for r in _runs(tmp_path) if "mlflow.parentRunId" not in r.data.tags]
    assert len(tops) == 1 and tops[0].info.status == "FINISHED"    # the resume reused the invocation's row


def test_sigkill_leftovers_are_cleaned_on_resume(tmp_path, tmp_cache):
    env = _env(tmp_cache)
    cmd, proc = _start(tmp_path, env)
    _stop_inside_a_trial(proc, tmp_path)
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=60)
    left = [r.info.run_id for r in _runs(tmp_path) if r.info.status == "RUNNING"]
    assert left and "RUNNING" in _states(tmp_path)
    err = _resume_and_check(cmd, tmp_path, env)
    assert "ended KILLED" in err and "taking over" in err and "stale marked failed" in err
    runs = _runs(tmp_path)
    by_id = {r.info.run_id: r.info.status for r in runs}
    # the invocation's parent run is resumed (one top-level row, FINISHED); its killed children stay KILLED
    tops = [r.info.run_id for r in runs if "mlflow.parentRunId" not in r.data.tags]
    assert len(tops) == 1 and tops[0] in left and by_id[tops[0]] == "FINISHED"
    assert {by_id[r] for r in left if r != tops[0]} == {"KILLED"}
    assert "resuming under MLflow run" in err
    s = _states(tmp_path)
    assert s.count("FAIL") == 1 and len(s) == s.count("COMPLETE") + s.count("PRUNED") + 1   # the killed trial was re-run
