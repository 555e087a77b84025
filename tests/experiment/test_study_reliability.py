"""Studies that resume exactly: per-trial sampler seeding, stale journal locks, stale trials."""

import os
import subprocess
import sys
import time

import optuna
import pytest

import cs_lab
from cs_lab.experiment.study import (SeededNSGAIISampler, done_trials, fail_stale_trials, journal_storage,
                                     open_study, storage_for)

optuna.logging.set_verbosity(optuna.logging.WARNING)


def objective(trial):
    x = trial.suggest_float("x", -5, 5)
    y = trial.suggest_int("y", 1, 50, log=True)
    c = trial.suggest_categorical("c", ["a", "b", "c"])
    return -(x - 1) ** 2 - (y - 7) ** 2 / 10 + (c == "b")


def objective2(trial):
    v = objective(trial)
    return v, trial.params["x"] ** 2


@pytest.mark.parametrize("directions,obj", [(["maximize"], objective), (["maximize", "minimize"], objective2)])
def test_resumed_study_proposes_what_an_uninterrupted_one_would(tmp_path, directions, obj):
    """TPE: 10 random start-up trials then multivariate TPE; the resumed half uses a fresh sampler."""
    n, k = 24, 7
    whole = open_study("s", journal_storage(tmp_path / "whole.journal"), directions, seed=3, prune=False)
    whole.optimize(obj, n_trials=n)
    part = open_study("s", journal_storage(tmp_path / "part.journal"), directions, seed=3, prune=False)
    part.optimize(obj, n_trials=k)
    del part                                            # "killed": everything else is rebuilt
    part = open_study("s", journal_storage(tmp_path / "part.journal"), directions, seed=3, prune=False)
    part.optimize(obj, n_trials=n - k)
    a = [(t.number, t.params) for t in whole.trials]
    b = [(t.number, t.params) for t in part.trials]
    assert a == b
    assert len({str(p) for _, p in b}) == n             # and nothing is proposed twice
    other = open_study("s", journal_storage(tmp_path / "other.journal"), directions, seed=4, prune=False)
    other.optimize(obj, n_trials=3)
    assert [t.params for t in other.trials] != [p for _, p in a[:3]]   # the seed matters


def test_nsga2_genetic_phase_is_a_function_of_seed_and_history(tmp_path):
    def study(name):
        return optuna.create_study(study_name="s", storage=journal_storage(tmp_path / name),
                                   sampler=SeededNSGAIISampler(seed=1, population_size=4),
                                   directions=["maximize", "minimize"], load_if_exists=True)
    whole = study("whole.journal")
    whole.optimize(objective2, n_trials=16)
    study("part.journal").optimize(objective2, n_trials=6)
    part = study("part.journal")
    part.optimize(objective2, n_trials=10)
    assert [t.params for t in whole.trials] == [t.params for t in part.trials]


OPEN = r"""
import sys
from pathlib import Path
from cs_lab.experiment.study import open_study, storage_for
st = storage_for(Path(sys.argv[1]), None)
open_study("s", st, ["maximize"], 0, False).optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=2)
print("ok")
"""


def _open_in_child(cwd, run_dir, timeout=20):
    root = os.path.dirname(os.path.dirname(cs_lab.__file__))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([root, os.environ.get("PYTHONPATH", "")])}
    t0 = time.monotonic()
    out = subprocess.run([sys.executable, "-c", OPEN, str(run_dir)], cwd=cwd, env=env, capture_output=True,
                         text=True, timeout=timeout)   # a spinning lock fails here instead of hanging
    assert out.returncode == 0 and out.stdout.strip() == "ok", out.stderr[-2000:]
    return time.monotonic() - t0, out.stderr


def test_dangling_relative_journal_lock_does_not_spin(tmp_path):
    """The lock a killed pre-fix process leaves: a relative symlink pointing nowhere."""
    run = tmp_path / "runs" / "spec"
    run.mkdir(parents=True)
    os.symlink("runs/spec/optuna.journal", run / "optuna.journal.lock")
    assert not os.path.exists(run / "optuna.journal.lock")          # dangling
    seconds, err = _open_in_child(tmp_path, "runs/spec")
    assert seconds < 30 and "stale" in err
    assert not os.path.lexists(run / "optuna.journal.lock")


def test_stale_valid_journal_lock_is_removed_on_open(tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    lock = run / "optuna.journal.lock"
    os.symlink(run / "optuna.journal", lock)
    old = time.time() - 3600
    os.utime(lock, (old, old), follow_symlinks=False)
    seconds, err = _open_in_child(tmp_path, run)
    assert seconds < 30 and "stale" in err


def test_journal_path_is_absolute(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    st = storage_for(tmp_path / "x" / ".." / "run", "rel/shared.journal")
    assert os.path.isabs(st._backend._file_path)
    st = storage_for("run", None)
    assert st._backend._file_path == str(tmp_path / "run" / "optuna.journal")


def test_trial_left_running_by_a_dead_process_is_failed_and_rerun(tmp_path):
    """The runner's resume: fail_stale_trials, then run budget - done trials."""
    budget = 6
    st = journal_storage(tmp_path / "optuna.journal")
    study = open_study("s", st, ["maximize"], 0, False)
    study.optimize(objective, n_trials=3)
    study.ask()                                       # the process dies inside this trial
    study = open_study("s", journal_storage(tmp_path / "optuna.journal"), ["maximize"], 0, False)
    assert fail_stale_trials(study) == 1
    study.optimize(objective, n_trials=budget - done_trials(study))
    states = [t.state.name for t in study.trials]
    assert states.count("COMPLETE") == budget and states.count("FAIL") == 1 and "RUNNING" not in states
    # the killed trial consumed a number, not a seed: the completed trials are what an
    # uninterrupted study proposes (seeded from the count of non-FAIL trials before, not the number)
    whole = open_study("s", journal_storage(tmp_path / "whole.journal"), ["maximize"], 0, False)
    whole.optimize(objective, n_trials=budget)
    assert [t.params for t in study.trials if t.state.name == "COMPLETE"] == [t.params for t in whole.trials]


def test_journal_line_cut_by_a_kill_is_dropped_on_open(tmp_path):
    path = tmp_path / "optuna.journal"
    study = open_study("s", journal_storage(path), ["maximize"], 0, False)
    study.optimize(objective, n_trials=3)
    with open(path, "ab") as f:
        f.write(b'{"op_code": 4, "worker_id": "x", "trial_id"')      # killed mid-append
    study = open_study("s", journal_storage(path), ["maximize"], 0, False)
    study.optimize(objective, n_trials=2)
    reread = open_study("s", journal_storage(path), ["maximize"], 0, False)
    assert [t.state.name for t in reread.trials] == ["COMPLETE"] * 5


def test_a_fresh_lock_taken_in_the_race_window_is_given_back(tmp_path):
    """Another process broke the stale lock and a live one re-took it between our look and our
    rename: the live lock must survive."""
    from cs_lab.experiment.study import StaleSafeJournalLock

    journal = tmp_path / "j.journal"
    journal.touch()
    lock = StaleSafeJournalLock(journal)
    assert lock.acquire()
    assert not lock.break_if_stale(dangling=True)          # fresh, valid: left alone
    lock._age = lambda: 1e9                                  # what we saw a moment ago: stale
    assert not lock.break_if_stale()
    assert os.readlink(str(journal) + ".lock") == str(journal)
    assert not [p for p in os.listdir(tmp_path) if p.endswith(".stale")]
    lock.release()
    assert not os.path.lexists(str(journal) + ".lock")
