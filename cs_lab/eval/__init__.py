"""Evaluation layer: metrics over (recommended item indices, truth) arrays and statistics.

Never imports model code. Typical use::

    from cs_lab.eval import arrays_from_tables, evaluate, Catalog
    arrays = arrays_from_tables(recs_df, truth_df, item_ids=vocab.ids)
    result = evaluate(arrays.recs, arrays.truth, ks=(5, 10, 20), query_ids=arrays.query_ids)
    result.summary["ndcg"][10]; result.per_query["ndcg@10"]

With ``history=`` (items each query's customer bought before) every truth-based
metric is also split into repeat and explore parts: ``result.value("ndcg@10.explore")``;
``result.metric_names()`` lists every name ``value`` accepts.

Metric definitions and conventions: docs/metrics.md.
"""

from cs_lab.eval.catalog import Catalog
from cs_lab.eval.context import EvalContext
from cs_lab.eval.evaluate import EvalResult, evaluate
from cs_lab.eval.explore import PARTS, history_for_queries, split_repeat_explore
from cs_lab.eval.hits import hit_matrix
from cs_lab.eval.inputs import PAD, as_truth_matrix, check_recs, truth_from_lists
from cs_lab.eval.registry import Metric, available_metrics, get_metric, register_metric
from cs_lab.eval.tables import AlignedArrays, arrays_from_tables

ACCURACY_METRICS = ("precision", "recall", "hit_rate", "ndcg", "map", "mrr")
"""The ranking-accuracy metrics cross-checked against ranx."""

__all__ = [
    "ACCURACY_METRICS", "AlignedArrays", "Catalog", "EvalContext", "EvalResult", "Metric", "PAD",
    "PARTS", "arrays_from_tables", "as_truth_matrix", "available_metrics", "check_recs", "evaluate",
    "get_metric", "hit_matrix", "history_for_queries", "register_metric", "split_repeat_explore", "truth_from_lists",
]
