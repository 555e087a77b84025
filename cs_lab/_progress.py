"""Progress bars where work is long (tuning trials, batched recommend, bootstraps), shown only where a
person watches: stderr is a terminal, not CI (``CI=true``), not a notebook kernel. Elsewhere the
callers print a one-line heartbeat instead (or nothing).

The runner turns bars on for its own work with ``showing(options.progress)``; library code deep in a
loop asks ``bar(total, desc)``, which is a no-op object unless bars are on.
"""

from __future__ import annotations

import contextlib
import contextvars
import os
import sys

_ON: contextvars.ContextVar[bool] = contextvars.ContextVar("cs_lab_progress", default=False)


def on_console() -> bool:
    """True when stderr is a terminal outside CI and outside a notebook kernel."""
    if os.environ.get("CI", "").strip().lower() in ("1", "true", "yes"):
        return False
    if "ipykernel" in sys.modules:
        return False
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):   # replaced or closed stderr
        return False


def enabled() -> bool:
    return _ON.get() and on_console()


@contextlib.contextmanager
def showing(progress: bool = True):
    """Bars on (if ``progress`` and on a console) for the work inside."""
    token = _ON.set(bool(progress))
    try:
        yield
    finally:
        _ON.reset(token)


class _NoBar:
    def update(self, n: int = 1) -> None: ...
    def set_postfix_str(self, s: str = "", refresh: bool = True) -> None: ...
    def close(self) -> None: ...
    def __enter__(self): return self
    def __exit__(self, *exc) -> None: ...


def bar(total: int, desc: str, unit: str = "it", min_total: int = 2):
    """A tqdm bar on stderr when bars are on and there are at least ``min_total`` steps, else a no-op."""
    if not enabled() or total < min_total:
        return _NoBar()
    from tqdm import tqdm    # the plain terminal bar (tqdm.auto wants ipywidgets in a notebook)

    return tqdm(total=total, desc=desc, unit=unit, leave=False, file=sys.stderr, dynamic_ncols=True)
