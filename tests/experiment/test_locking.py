"""RunFolderLock: one process per run folder; a clear error naming the owner; --wait; takeover
of a folder whose owner was killed."""

import logging
import os
import signal
import subprocess
import sys
import time

import pytest

import cs_lab
from cs_lab.experiment.locking import OWNER_NAME, RunFolderBusyError, RunFolderLock

HOLDER = r"""
import sys, time
from cs_lab.experiment.locking import RunFolderLock
lock = RunFolderLock(sys.argv[1]).acquire()
print("held", flush=True)
time.sleep(float(sys.argv[2]))
lock.release()
"""


def _env():
    root = os.path.dirname(os.path.dirname(cs_lab.__file__))
    return {**os.environ, "PYTHONPATH": os.pathsep.join([root, os.environ.get("PYTHONPATH", "")])}


def _holder(run_dir, seconds):
    p = subprocess.Popen([sys.executable, "-c", HOLDER, str(run_dir), str(seconds)], stdout=subprocess.PIPE,
                         text=True, env=_env())
    assert p.stdout.readline().strip() == "held"
    return p


def test_second_owner_gets_an_error_naming_the_first(tmp_path):
    p = _holder(tmp_path / "run", 30)
    try:
        with pytest.raises(RunFolderBusyError) as err:
            RunFolderLock(tmp_path / "run").acquire()
        msg = str(err.value)
        assert f"pid {p.pid}" in msg and "since" in msg and "--wait" in msg and str(tmp_path / "run") in msg
    finally:
        p.kill()
        p.wait()


def test_in_process_second_lock_is_refused_and_released_lock_is_free(tmp_path):
    with RunFolderLock(tmp_path / "run"):
        with pytest.raises(RunFolderBusyError):
            RunFolderLock(tmp_path / "run").acquire()
    assert not (tmp_path / "run" / OWNER_NAME).exists()
    with RunFolderLock(tmp_path / "run"):
        pass


def test_wait_polls_until_the_owner_finishes(tmp_path, capsys):
    p = _holder(tmp_path / "run", 1.5)
    t0 = time.monotonic()
    with RunFolderLock(tmp_path / "run", wait=True, poll_s=0.1):
        waited = time.monotonic() - t0
    p.wait()
    assert 0.5 < waited < 20
    assert f"pid {p.pid}" in capsys.readouterr().err


def test_lock_of_a_killed_owner_is_taken_over_with_a_warning(tmp_path, caplog):
    p = _holder(tmp_path / "run", 30)
    p.send_signal(signal.SIGKILL)
    p.wait()
    assert (tmp_path / "run" / OWNER_NAME).exists()       # the killed owner could not clean up
    with caplog.at_level(logging.WARNING, logger="cs_lab.experiment.locking"):
        with RunFolderLock(tmp_path / "run") as lock:
            assert lock.read_owner()["pid"] == os.getpid()
    assert [r for r in caplog.records if f"pid {p.pid}" in r.getMessage() and "taking over" in r.getMessage()]


def test_clear_keeps_the_lock(tmp_path):
    d = tmp_path / "run"
    (d / "models" / "m").mkdir(parents=True)
    (d / "optuna.journal").write_text("x")
    (d / "console.log").write_text("this run's output, opened by a --jobs worker before --fresh")
    with RunFolderLock(d) as lock:
        lock.clear()
        assert sorted(p.name for p in d.iterdir()) == sorted([".cs_lab.lock", OWNER_NAME, "console.log"])
        with pytest.raises(RunFolderBusyError):
            RunFolderLock(d).acquire()
