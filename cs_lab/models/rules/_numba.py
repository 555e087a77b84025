"""numba behind a guard: the mining kernels need it, importing cs_lab.models does not."""

from __future__ import annotations

from types import ModuleType

from cs_lab.errors import OptionalDependencyError


def require_numba() -> ModuleType:
    """The numba module, or an OptionalDependencyError that says how to install it."""
    try:
        import numba
    except ImportError as exc:  # pragma: no cover - numba is installed with the project
        raise OptionalDependencyError(
            "association-rule mining needs numba (the FP-Growth and Apriori kernels are compiled "
            "with it): pip install numba") from exc
    return numba
