"""Metric names as specs write them: ``ndcg@10``, ``ndcg@10.explore``, ``repeat_share@10``.

The part after the cut-off restricts a truth-based metric to the hidden items the customer had
bought in the training period (``.repeat``) or had not (``.explore``); see docs/metrics.md.
Checked against the evaluation registry before any work starts.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

from cs_lab.errors import ConfigError

PARTS = ("", "repeat", "explore")
MINIMISED = frozenset({"popularity_bias"})


class MetricName(NamedTuple):
    metric: str
    k: int
    part: str = ""

    def __str__(self) -> str:
        return f"{self.metric}@{self.k}" + (f".{self.part}" if self.part else "")


def parse_metric_name(name: str, where: str = "metric") -> MetricName:
    """'ndcg@10.explore' -> MetricName('ndcg', 10, 'explore')."""
    text = str(name)
    try:
        metric, rest = text.split("@")
        k_text, _, part = rest.partition(".")
        k = int(k_text)
    except ValueError:
        raise ConfigError(f"{where}: {text!r} must look like 'ndcg@10' or 'ndcg@10.explore'") from None
    if part not in PARTS:
        raise ConfigError(f"{where}: {text!r}: the part after the cut-off must be 'repeat' or 'explore', "
                          f"got {part!r}")
    if k <= 0:
        raise ConfigError(f"{where}: {text!r}: the cut-off must be a positive integer")
    return MetricName(metric, k, part)


def direction(name: str) -> str:
    """'maximize' or 'minimize' for an objective name."""
    return "minimize" if parse_metric_name(name).metric in MINIMISED else "maximize"


def check_metric_names(names: Iterable[str], ks: Iterable[int], where: str, per_query: bool = True,
                       extra: dict | None = None) -> None:
    """Every name is a registered metric (or one of ``extra``: name -> metric class, e.g. the threshold
    metrics when the spec sets metrics.threshold) at a declared cut-off (and, when ``per_query``, one
    with a value per query, so it can be compared and bootstrapped). ConfigError naming ``where``."""
    from cs_lab.eval.registry import available_metrics

    known = {**available_metrics(), **(extra or {})}
    ks = sorted(set(ks))
    for name in names:
        m = parse_metric_name(name, where)
        if m.metric not in known:
            usable = [n for n, c in known.items() if not per_query or c.scope == "query"]
            raise ConfigError(f"{where}: unknown metric {m.metric!r} in {name!r}; known: {', '.join(usable)}")
        cls = known[m.metric]
        if per_query and cls.scope != "query":
            raise ConfigError(f"{where}: {name!r} is a global metric (one value per evaluation); "
                              "it cannot be an objective or a compared metric")
        if m.part and not cls.needs_truth:
            raise ConfigError(f"{where}: {name!r}: {m.metric} does not depend on the hidden items, "
                              "so it has no repeat / explore part")
        if m.k not in ks:
            raise ConfigError(f"{where}: {name!r}: cut-off {m.k} is not in metrics.ks {ks}; "
                              f"add {m.k} to metrics.ks or use one of {ks}")
