"""Test-only fault injection for the kill-anywhere test (tests/experiment/test_kill_anywhere.py).

``CS_LAB_KILL_AT=<point>:<n>`` makes the process SIGKILL itself the n-th time it reaches
``kill_point("<point>")``; ``CS_LAB_KILL_AT=trace`` prints ``cs_lab kill point: <point>`` to
stderr at each one (to count them). Unset -- always, outside that test -- a point is one
environment lookup and does nothing.
"""

from __future__ import annotations

import os
import signal
import sys

ENV = "CS_LAB_KILL_AT"
_hits: dict[str, int] = {}


def kill_point(name: str) -> None:
    spec = os.environ.get(ENV)
    if not spec:
        return
    if spec == "trace":
        print(f"cs_lab kill point: {name}", file=sys.stderr, flush=True)
        return
    point, _, n = spec.rpartition(":")
    if point != name:
        return
    _hits[name] = _hits.get(name, 0) + 1
    if str(_hits[name]) == n:
        sys.stdout.flush()
        sys.stderr.flush()
        os.kill(os.getpid(), signal.SIGKILL)
