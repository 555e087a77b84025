"""Guarded imports of the third-party libraries the CF models wrap (imported on first fit, so that
``import cs_lab.models`` stays light and a missing library gives an install hint)."""

from __future__ import annotations

import importlib
from types import ModuleType

from cs_lab.errors import OptionalDependencyError


def require(module: str, package: str, model: str) -> ModuleType:
    """Import ``module`` or raise OptionalDependencyError naming the pip package to install."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise OptionalDependencyError(
            f"model {model!r} needs the {package!r} package ({module} could not be imported: {exc}); "
            f"install it with `pip install {package}`") from None


def blas_single_thread(module: ModuleType | None = None):
    """Context manager limiting BLAS to one thread while a native library trains (implicit warns,
    and slows down badly, when OpenBLAS threads compete with its own OpenMP threads).

    Pass the already imported library ``module``: threadpoolctl only limits BLAS libraries that are
    loaded when the context is entered (implicit loads SciPy's OpenBLAS on import)."""
    del module  # only needed to be imported before we get here
    threadpoolctl = require("threadpoolctl", "threadpoolctl", "implicit models")
    return threadpoolctl.threadpool_limits(1, "blas")
