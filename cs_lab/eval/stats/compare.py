"""Compare several models on per-query metric values: vs a baseline and pairwise, Holm-corrected."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict
from itertools import combinations

import pandas as pd

from cs_lab.errors import ConfigError, DataError
from cs_lab.eval.stats.correction import holm
from cs_lab.eval.stats.significance import compare_paired

COMPARISON_COLUMNS = ("model_a", "model_b", "metric", "n", "mean_a", "mean_b", "diff", "ci_low",
                      "ci_high", "p_t", "p_wilcoxon", "p_holm", "significant")


def model_pairs(models: Sequence[str], baseline: str | None, pairwise: bool) -> list[tuple[str, str]]:
    """(model_a, model_b) pairs: every model vs the baseline first, then the remaining pairs.

    A pair is listed once; against the baseline the baseline is always model_b.
    """
    if baseline is not None and baseline not in models:
        raise ConfigError(f"baseline {baseline!r} is not among the models {list(models)}")
    if baseline is None and not pairwise:
        raise ConfigError("nothing to compare: give a baseline or pairwise=True")
    pairs: list[tuple[str, str]] = []
    if baseline is not None:
        pairs += [(m, baseline) for m in models if m != baseline]
    if pairwise:
        seen = {frozenset(p) for p in pairs}
        pairs += [(a, b) for a, b in combinations(models, 2) if frozenset((a, b)) not in seen]
    return pairs


def check_same_queries(per_query: Mapping[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """The frames by model name; DataError unless every frame indexes the same queries (any order)."""
    names = list(per_query)
    frames = {m: per_query[m] for m in names}
    reference = frames[names[0]].index
    for m in names[1:]:
        index = frames[m].index
        if len(index) != len(reference) or not index.sort_values().equals(reference.sort_values()):
            raise DataError(f"models {names[0]!r} and {m!r} were evaluated on different queries",
                            hint="evaluate every model on the same query set")
    return frames


def compare_models(per_query: Mapping[str, pd.DataFrame], metrics: Sequence[str] | None = None,
                   baseline: str | None = None, pairwise: bool = True, alpha: float = 0.05,
                   n_boot: int = 2000, ci: float = 0.95, seed: int = 0) -> pd.DataFrame:
    """Tidy table of paired comparisons between models.

    per_query : model name -> per-query DataFrame (``EvalResult.per_query``); all
                frames must index the same queries (order may differ).
    metrics   : columns to compare, e.g. ["ndcg@10", "revenue@10"]; default = the
                columns every frame has.
    One row per (pair, metric): means over queries where both values are present,
    diff = mean_a - mean_b with a paired bootstrap CI (same ``seed`` for every
    row, so the table is reproducible), paired t-test and Wilcoxon p-values, and
    Holm-adjusted t-test p-values over *all* rows. significant = p_holm <= alpha.
    """
    if len(per_query) < 2:
        raise ConfigError("compare_models needs at least two models")
    names = list(per_query)
    frames = check_same_queries(per_query)
    if metrics is None:
        metrics = [c for c in frames[names[0]].columns if all(c in f.columns for f in frames.values())]
    for m in names:
        missing = [c for c in metrics if c not in frames[m].columns]
        if missing:
            raise DataError(f"model {m!r} has no per-query column(s) {missing}")

    rows = []
    for a, b in model_pairs(names, baseline, pairwise):
        fb = frames[b].reindex(frames[a].index)
        for metric in metrics:
            result = compare_paired(frames[a][metric].to_numpy(), fb[metric].to_numpy(),
                                    n_boot=n_boot, ci=ci, seed=seed)
            rows.append({"model_a": a, "model_b": b, "metric": metric, **asdict(result)})
    table = pd.DataFrame(rows, columns=[c for c in COMPARISON_COLUMNS if c not in ("p_holm", "significant")])
    table["p_holm"] = holm(table["p_t"].to_numpy())
    table["significant"] = table["p_holm"] <= alpha
    return table[list(COMPARISON_COLUMNS)]
