"""Helpers for tests that start a local HTTP server (mlflow server, mlflow models serve)."""

import socket
import subprocess
import time
import urllib.request


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_up(url: str, proc: subprocess.Popen, seconds: float) -> str | None:
    """Poll ``url`` until it answers 200. None when up; else why not (the process exited, or time ran out)."""
    deadline = time.time() + seconds
    while time.time() < deadline:
        if proc.poll() is not None:
            err = proc.stderr.read().decode()[-2000:] if proc.stderr else ""
            return f"exited {proc.returncode}: {err}"
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return None
        except OSError:
            time.sleep(0.5)
    return f"no answer from {url} within {seconds:.0f} s"
