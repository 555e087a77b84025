"""Interrupts deferred out of critical sections.

A SIGTERM turned into an exception (cs_lab.cli) that lands inside an MLflow store write leaves
that write's SQLite transaction open: every later write of the process -- ending the runs KILLED
on the way out -- then fails with "database is locked". So the signal handler calls
:func:`interrupt`, which raises at once outside a :func:`deferred_interrupts` block and, inside
one, only when the outermost block exits (the tracker runs every MLflow client call in one).
"""

from __future__ import annotations

import contextlib

_depth = 0
_pending: BaseException | None = None


@contextlib.contextmanager
def deferred_interrupts():
    """Run the body whole: an :func:`interrupt` during it is raised when it ends."""
    global _depth, _pending
    _depth += 1
    try:
        yield
    finally:
        _depth -= 1
    if _depth == 0 and _pending is not None:
        exc, _pending = _pending, None
        raise exc


def interrupt(exc: BaseException) -> None:
    """Raise ``exc`` now, or when the current :func:`deferred_interrupts` block ends."""
    global _pending
    if _depth > 0:
        _pending = exc
        return
    raise exc


class Deferred:
    """A proxy whose method calls run inside :func:`deferred_interrupts` (e.g. an MlflowClient)."""

    def __init__(self, target) -> None:
        self._target = target

    def __getattr__(self, name):
        attr = getattr(self._target, name)
        if not callable(attr):
            return attr

        def call(*args, **kwargs):
            with deferred_interrupts():
                return attr(*args, **kwargs)

        return call
