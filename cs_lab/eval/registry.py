"""The metric contract and a name -> metric lookup that needs no central switch.

A metric is a small class with a ``name`` and a ``compute(ctx, ks)`` method.
To add one, write a class in any module of ``cs_lab/eval/metrics/`` and
decorate it with ``@register_metric``: every module in that folder is imported
on first lookup, so no other file changes. Metric instances can also be passed
to ``evaluate`` directly without registering them.
"""

from __future__ import annotations

import importlib
import pkgutil
from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping, Sequence
from typing import ClassVar, Literal, TypeVar

import numpy as np

from cs_lab.errors import ConfigError
from cs_lab.eval.catalog import Catalog
from cs_lab.eval.context import EvalContext

Scope = Literal["query", "global"]


class Metric(ABC):
    """One metric at several cut-offs.

    name        : column prefix; per-query columns are named ``f"{name}@{k}"``.
    scope       : "query" -> ``compute`` returns one value per query for each k;
                  "global" -> one number per k (e.g. catalog coverage).
    needs_truth : per-query values of queries without truth follow the
                  evaluation's empty-truth policy (NaN when excluded).
    requires    : catalog fields the metric reads.
    inputs      : optional ``evaluate`` inputs the metric reads ("history",
                  "truth_value", "truth_margin").
    default     : computed when ``evaluate(metrics=None)`` and ``requires`` and
                  ``inputs`` are met.
    """

    name: ClassVar[str]
    scope: ClassVar[Scope] = "query"
    needs_truth: ClassVar[bool] = True
    requires: ClassVar[tuple[str, ...]] = ()
    inputs: ClassVar[tuple[str, ...]] = ()
    default: ClassVar[bool] = True

    @abstractmethod
    def compute(self, ctx: EvalContext, ks: Sequence[int]) -> Mapping[int, np.ndarray | float]:
        """Values for each cut-off in ``ks`` (all <= ctx.k_max)."""

    def available(self, catalog: Catalog | None, inputs: Iterable[str] = ()) -> bool:
        """Whether the catalog provides every field and ``inputs`` every optional input this metric reads."""
        given = set(inputs)
        return (all(catalog is not None and catalog.has(f) for f in self.requires)
                and all(name in given for name in self.inputs))

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


M = TypeVar("M", bound=type[Metric])
_REGISTRY: dict[str, type[Metric]] = {}
_loaded = False


def register_metric(cls: M) -> M:
    """Class decorator: make ``cls`` findable by its ``name``."""
    name = cls.__dict__.get("name")
    if not isinstance(name, str) or not name or "@" in name or "." in name:
        raise TypeError(f"{cls.__name__} needs a class attribute name without '@' or '.'")
    existing = _REGISTRY.get(name)
    if existing is not None and existing.__qualname__ != cls.__qualname__:
        raise TypeError(f"metric name {name!r} is used by {existing.__qualname__} already")
    _REGISTRY[name] = cls
    return cls


def _load_builtin_metrics() -> None:
    global _loaded
    if _loaded:
        return
    package = importlib.import_module("cs_lab.eval.metrics")
    for info in pkgutil.iter_modules(package.__path__):
        importlib.import_module(f"{package.__name__}.{info.name}")
    _loaded = True


def available_metrics() -> dict[str, type[Metric]]:
    """Registered metric classes by name."""
    _load_builtin_metrics()
    return dict(sorted(_REGISTRY.items()))


def get_metric(name: str) -> Metric:
    """A fresh instance of the registered metric ``name``."""
    known = available_metrics()
    if name not in known:
        raise ConfigError(f"unknown metric {name!r}; known: {', '.join(known)}")
    return known[name]()


def resolve_metrics(metrics: Iterable[str | Metric] | None, catalog: Catalog | None,
                    inputs: Iterable[str] = ()) -> list[Metric]:
    """Metric instances for ``evaluate``.

    None -> every registered default metric whose catalog fields and optional
    inputs (names in ``inputs``, e.g. "history") are present. Names and
    instances may be mixed; a named metric whose catalog fields or inputs are
    missing is an error rather than a silent skip.
    """
    given = frozenset(inputs)
    if metrics is None:
        chosen = [cls() for cls in available_metrics().values() if cls.default]
        return [m for m in chosen if m.available(catalog, given)]
    out: list[Metric] = []
    for m in metrics:
        metric = get_metric(m) if isinstance(m, str) else m
        if not isinstance(metric, Metric):
            raise ConfigError(f"{m!r} is neither a metric name nor a Metric instance")
        if not metric.available(catalog, metric.inputs):
            raise ConfigError(f"metric {metric.name!r} needs catalog fields {list(metric.requires)}")
        absent = [name for name in metric.inputs if name not in given]
        if absent:
            wanted = ", ".join(f"{name}=..." for name in absent)
            raise ConfigError(f"metric {metric.name!r} needs evaluate({wanted}); pass it or drop the metric")
        out.append(metric)
    names = [m.name for m in out]
    if len(set(names)) != len(names):
        raise ConfigError(f"metric listed twice: {names}")
    return out
