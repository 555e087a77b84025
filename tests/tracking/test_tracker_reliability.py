"""MlflowTracker under concurrency and after crashes: a fresh SQLite store created by several
processes at once, and runs left RUNNING by a dead process closed as KILLED."""

import os
import subprocess
import sys
import time

import pytest

import cs_lab

from cs_lab._process import Owner, host
from cs_lab.tracking.tracker import KILLED, RUNNING, MemoryTracker, close_orphan_runs, close_own_runs

CHILD = r"""
import sys, time
from cs_lab.tracking.tracker import MlflowTracker
start = float(sys.argv[2])
time.sleep(max(0.0, start - time.time()))
t = MlflowTracker("race", tracking_uri=sys.argv[1])
run = t.start_run("r")
t.log_metrics(run, {"m": 1.0})
t.end_run(run)
print("ok")
"""


@pytest.mark.slow
def test_fresh_sqlite_store_from_three_processes_at_once(tmp_path):
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    # the children import this checkout's cs_lab, not an installed one
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([os.path.dirname(os.path.dirname(cs_lab.__file__)),
                                                         os.environ.get("PYTHONPATH", "")])}
    start = time.time() + 8   # every child has imported mlflow by then; they start together
    procs = [subprocess.Popen([sys.executable, "-c", CHILD, uri, str(start)], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, cwd=tmp_path, env=env) for _ in range(3)]
    for p in procs:
        out, err = p.communicate(timeout=300)
        assert p.returncode == 0 and out.strip() == "ok", err[-3000:]
    from cs_lab.tracking.tracker import MlflowTracker

    runs = MlflowTracker("race", tracking_uri=uri).runs()
    assert len(runs) == 3 and {r.info.status for r in runs} == {"FINISHED"}


def _dead_pid() -> int:
    p = subprocess.Popen([sys.executable, "-c", "pass"])
    p.wait()
    return p.pid


def test_close_orphan_runs_ends_only_runs_of_dead_processes_on_this_host():
    t = MemoryTracker()
    me = Owner.me()
    dead = t.start_run("dead", tags=Owner(_dead_pid(), host(), None).tags())
    reused = t.start_run("pid reused", tags=Owner(me.pid, host(), "another-process-start").tags())
    alive = t.start_run("alive", tags=me.tags())
    remote = t.start_run("other host", tags=Owner(_dead_pid(), host() + "-elsewhere", None).tags())
    untagged = t.start_run("no owner tags")
    assert close_orphan_runs(t) == [dead, reused]
    status = {rid: r["status"] for rid, r in t.runs.items()}
    assert status[dead] == status[reused] == KILLED
    assert status[alive] == status[remote] == status[untagged] == RUNNING


def test_mlflow_runs_carry_owner_tags_and_orphans_are_closed(tmp_path):
    from cs_lab.tracking.tracker import MlflowTracker

    t = MlflowTracker("orphans", tracking_uri=f"sqlite:///{tmp_path / 'mlflow.db'}")
    mine = t.start_run("mine")
    assert Owner.from_tags(dict(t.client.get_run(mine).data.tags)) == Owner.me()
    orphan = t.start_run("left by a killed process", tags=Owner(_dead_pid(), host(), None).tags())
    assert close_orphan_runs(t) == [orphan]
    assert t.client.get_run(orphan).info.status == KILLED
    assert t.client.get_run(mine).info.status == RUNNING


def test_close_own_runs_ends_only_this_process_runs():
    t = MemoryTracker()
    mine = t.start_run("mine", tags=Owner.me().tags())
    other = t.start_run("another live process", tags=Owner(1, host(), None).tags())
    assert close_own_runs(t) == [mine]
    assert t.runs[mine]["status"] == KILLED and t.runs[other]["status"] == RUNNING


CREATE = r"""
import sys
from cs_lab.tracking.tracker import MlflowTracker
print("go", flush=True)
MlflowTracker("killed", tracking_uri=sys.argv[1])
print("ok", flush=True)
"""


@pytest.mark.slow
@pytest.mark.parametrize("delay", [0.2, 0.5, 0.9, 1.4])
def test_sqlite_store_killed_while_created_is_never_left_half_migrated(tmp_path, delay):
    """SIGKILL during MLflow's migrations of a fresh store used to leave a half-migrated
    database; the next run crashed (alembic: table trace_info already exists)."""
    import signal

    from cs_lab.tracking.tracker import MlflowTracker

    db = tmp_path / "mlflow.db"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([os.path.dirname(os.path.dirname(cs_lab.__file__)),
                                                         os.environ.get("PYTHONPATH", "")])}
    p = subprocess.Popen([sys.executable, "-c", CREATE, f"sqlite:///{db}"], stdout=subprocess.PIPE, text=True,
                         cwd=tmp_path, env=env)
    assert p.stdout.readline().strip() == "go"
    time.sleep(delay)
    p.send_signal(signal.SIGKILL)
    p.wait()
    t = MlflowTracker("killed", tracking_uri=f"sqlite:///{db}")    # resumes on whatever the kill left
    t.end_run(t.start_run("r"))
    assert [r.info.status for r in t.runs()] == ["FINISHED"]
    assert not (tmp_path / "mlflow.db.init").exists()


def test_half_migrated_init_file_left_by_a_kill_is_started_over(tmp_path):
    """A fresh store is migrated in mlflow.db.init and renamed: a kill mid-migration leaves only
    the .init file (here: a half-migrated one), never a half-migrated mlflow.db."""
    import sqlite3

    from cs_lab.tracking.tracker import MlflowTracker

    con = sqlite3.connect(tmp_path / "mlflow.db.init")
    con.execute("CREATE TABLE trace_info (x INTEGER)")       # what alembic then fails on: 'already exists'
    con.commit()
    con.close()
    t = MlflowTracker("killed", tracking_uri=f"sqlite:///{tmp_path / 'mlflow.db'}")
    t.end_run(t.start_run("r"))
    assert [r.info.status for r in t.runs()] == ["FINISHED"]
    assert not (tmp_path / "mlflow.db.init").exists()
