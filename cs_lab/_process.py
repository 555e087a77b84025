"""Who owns a lock or a tracked run: process id, host name and a process start token, and
whether such an owner is still alive (used by the run-folder lock and orphan-run cleanup)."""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass


def host() -> str:
    return socket.gethostname()


def start_token(pid: int) -> str | None:
    """A token that differs between two processes that had the same pid: the boot id and the
    process start time in clock ticks (Linux), else psutil's create time, else None."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            stat = f.read()
        # field 22 (starttime); the command name (field 2) may hold spaces, so split after ')'
        ticks = stat[stat.rindex(b")") + 2:].split()[19].decode()
        with open("/proc/sys/kernel/random/boot_id") as f:
            return f"{f.read().strip()}:{ticks}"
    except (OSError, IndexError, ValueError):
        pass
    try:
        import psutil

        return f"psutil:{psutil.Process(pid).create_time():.3f}"
    except Exception:  # psutil absent, or the process is gone
        return None


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:   # exists, owned by another user
        return True
    except OverflowError:
        return False
    return True


@dataclass(frozen=True)
class Owner:
    pid: int
    host: str
    token: str | None

    @classmethod
    def me(cls) -> "Owner":
        pid = os.getpid()
        return cls(pid, host(), start_token(pid))

    def tags(self, prefix: str = "cs_lab.owner") -> dict[str, str]:
        return {f"{prefix}.pid": str(self.pid), f"{prefix}.host": self.host, f"{prefix}.start": self.token or ""}

    @classmethod
    def from_tags(cls, tags: dict[str, str], prefix: str = "cs_lab.owner") -> "Owner | None":
        try:
            return cls(int(tags[f"{prefix}.pid"]), tags[f"{prefix}.host"], tags.get(f"{prefix}.start") or None)
        except (KeyError, ValueError):
            return None

    def is_dead(self) -> bool:
        """True only when certain: same host, and the pid is gone or now belongs to another
        process (different start token). An owner on another host is never declared dead."""
        if self.host != host():
            return False
        if not pid_alive(self.pid):
            return True
        if self.token is None:
            return False
        now = start_token(self.pid)
        return now is not None and now != self.token
