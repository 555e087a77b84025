"""One process owns a run folder: ``RunFolderLock(run_dir, wait)``.

The lock is an ``fcntl.flock`` on ``<run_dir>/.cs_lab.lock`` (the kernel releases it when the
owner dies, however it dies), with the owner's pid, host, process start token and start time in
``<run_dir>/.cs_lab.owner.json`` (written by temp file + rename) so that a second process can
say who holds the folder. An owner file found under a free lock was left by a killed owner: the
lock is taken over with a one-line warning.

Tuning workers on a shared storage do not take this lock (they share a study by design); only
``cs-lab run`` does.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

from cs_lab._process import Owner
from cs_lab.errors import CsLabError

log = logging.getLogger(__name__)

LOCK_NAME = ".cs_lab.lock"
OWNER_NAME = ".cs_lab.owner.json"


class RunFolderBusyError(CsLabError, RuntimeError):
    """Another live process owns the run folder."""


class RunFolderLock:
    """Context manager: exclusive ownership of ``run_dir`` for this process.

    ``wait=False``: raise :class:`RunFolderBusyError` naming the owner if the folder is held.
    ``wait=True``: poll every ``poll_s`` seconds until the owner releases it.
    """

    def __init__(self, run_dir: str | Path, wait: bool = False, poll_s: float = 1.0) -> None:
        self.run_dir = Path(run_dir)
        self.wait, self.poll_s = wait, poll_s
        self._fd: int | None = None

    @property
    def lock_path(self) -> Path:
        return self.run_dir / LOCK_NAME

    @property
    def owner_path(self) -> Path:
        return self.run_dir / OWNER_NAME

    # -- acquire / release ---------------------------------------------------------
    def acquire(self) -> "RunFolderLock":
        import fcntl

        self.run_dir.mkdir(parents=True, exist_ok=True)
        announced = False
        while True:
            fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                if not self.wait:
                    raise RunFolderBusyError(
                        f"{self.run_dir}: run folder in use by {self._describe_owner()}. Wait for it to "
                        f"finish (add --wait to start when it does), stop it, or use another --runs-dir") from None
                if not announced:
                    print(f"cs-lab: {self.run_dir} is in use by {self._describe_owner()}; waiting "
                          f"(checking every {self.poll_s:g} s, Ctrl-C to give up) ...", file=sys.stderr, flush=True)
                    announced = True
                time.sleep(self.poll_s)
                continue
            break
        self._fd = fd
        stale = self.read_owner()
        if stale is not None:
            log.warning("%s: taking over the run folder from %s (that process is gone)",
                        self.run_dir, _fmt_owner(stale))
        self._write_owner()
        return self

    def release(self) -> None:
        if self._fd is None:
            return
        try:
            self.owner_path.unlink(missing_ok=True)  # before unlocking: a next owner finds no stale file
        finally:
            os.close(self._fd)   # closing releases the flock
            self._fd = None

    def __enter__(self) -> "RunFolderLock":
        return self.acquire()

    def __exit__(self, *exc) -> None:
        self.release()

    # -- the owner record ----------------------------------------------------------
    def _write_owner(self) -> None:
        me = Owner.me()
        rec = {"pid": me.pid, "host": me.host, "start_token": me.token,
               "since": datetime.now(timezone.utc).isoformat(timespec="seconds"), "argv": sys.argv}
        tmp = self.owner_path.with_name(f"{OWNER_NAME}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(rec))
        tmp.replace(self.owner_path)

    def read_owner(self) -> dict | None:
        try:
            return json.loads(self.owner_path.read_text())
        except (OSError, ValueError):
            return None

    def _describe_owner(self) -> str:
        rec = self.read_owner()
        return _fmt_owner(rec) if rec else "another process (owner not recorded yet)"

    def clear(self, keep: tuple[str, ...] = ("console.log",)) -> None:
        """Delete everything in the run folder but the lock itself and ``keep`` (``--fresh``), while
        held. ``console.log`` is kept: with ``--jobs`` the worker has already opened it for this
        run's output."""
        import shutil

        if self._fd is None:
            raise RuntimeError("RunFolderLock.clear() needs the lock held")
        for p in self.run_dir.iterdir():
            if p.name in (LOCK_NAME, OWNER_NAME, *keep):
                continue
            if p.is_dir() and not p.is_symlink():
                shutil.rmtree(p)
            else:
                p.unlink()


def _fmt_owner(rec: dict) -> str:
    return f"pid {rec.get('pid')} on host {rec.get('host')} since {rec.get('since')}"
