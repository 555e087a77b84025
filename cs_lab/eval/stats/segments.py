"""Per-segment breakdowns of per-query metric values (e.g. new vs returning customers)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from cs_lab.errors import DataError
from cs_lab.eval.stats.bootstrap import bootstrap_ci


def segment_breakdown(per_query: pd.DataFrame, by: str | Sequence[str],
                      metrics: Sequence[str] | None = None, segments: pd.DataFrame | None = None,
                      n_boot: int = 2000, ci: float = 0.95, seed: int = 0,
                      clusters: pd.Series | None = None) -> pd.DataFrame:
    """Mean of each metric per segment, with the query count and a bootstrap CI.

    per_query : per-query metric values (``EvalResult.per_query``).
    by        : segment column name(s), e.g. "customer_type" or ["customer_type", "cart_size"].
    segments  : optional frame holding the ``by`` columns, aligned to per_query on the index;
                otherwise the columns are read from per_query itself.
    metrics   : metric columns (default: every numeric column not in ``by``).
    clusters  : optional Series of cluster labels (e.g. customer id) indexed like
                per_query; the CIs then resample whole clusters within each segment.

    Returns one row per (segment, metric): the ``by`` columns, metric, n (queries
    with a value for the metric), mean, ci_low, ci_high. Rows follow the sorted
    segment order; segments with a missing label form no group.
    """
    keys = [by] if isinstance(by, str) else list(by)
    frame = per_query if segments is None else per_query.join(segments[keys], how="left")
    labels = None
    if clusters is not None:
        if not per_query.index.isin(clusters.index).all():
            raise DataError("clusters has no label for some queries",
                            hint="index clusters by the per-query frame's query ids")
        labels = pd.Series(clusters.reindex(per_query.index).to_numpy(), index=frame.index)
    missing = [k for k in keys if k not in frame.columns]
    if missing:
        raise DataError(f"segment column(s) {missing} not found", column=missing[0])
    if metrics is None:
        metrics = [c for c in per_query.columns
                   if c not in keys and pd.api.types.is_numeric_dtype(per_query[c])]
    rows = []
    for label, group in frame.groupby(keys, sort=True, dropna=True, observed=True):
        label = label if isinstance(label, tuple) else (label,)
        for metric in metrics:
            values = group[metric].to_numpy(dtype=np.float64)
            ok = ~np.isnan(values)
            group_labels = None if labels is None else labels.loc[group.index].to_numpy()[ok]
            values = values[ok]
            interval = bootstrap_ci(values, n_boot=n_boot, ci=ci, seed=seed, clusters=group_labels)
            rows.append({**dict(zip(keys, label)), "metric": metric, "n": int(values.size),
                         "mean": interval.estimate, "ci_low": interval.low, "ci_high": interval.high})
    return pd.DataFrame(rows, columns=[*keys, "metric", "n", "mean", "ci_low", "ci_high"])
