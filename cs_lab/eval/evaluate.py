"""``evaluate``: recommendation arrays + truth -> per-query values and summary means."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import scipy.sparse as sp

from cs_lab.errors import ConfigError, DataError
from cs_lab.eval.catalog import Catalog
from cs_lab.eval.context import EmptyTruth, EvalContext
from cs_lab.eval.explore import PARTS, as_history_matrix, split_repeat_explore
from cs_lab.eval.inputs import TruthLike, as_truth_matrix, check_ks, check_recs, pad_to
from cs_lab.eval.lines import align_line_values
from cs_lab.eval.offers import as_offers
from cs_lab.eval.registry import Metric, resolve_metrics


@dataclass(frozen=True)
class EvalResult:
    """Outcome of ``evaluate``.

    per_query     : one row per query (index = query ids when given), one
                    float column per per-query metric and cut-off, e.g. "ndcg@10".
                    NaN marks a query left out of that metric (no truth under
                    empty_truth="exclude", or an empty list for list metrics).
                    With ``history``, truth-based metrics also have the columns
                    "ndcg@10.repeat" and "ndcg@10.explore" (NaN where that part
                    of the truth is empty).
    summary       : metric -> k -> value; the NaN-skipping mean of the per-query
                    column, or the global value (coverage, addon_value). Parts
                    are stored under "ndcg.repeat" / "ndcg.explore". Prefer
                    ``value("ndcg@10.explore")`` and ``metric_names()``.
    n_queries     : rows in recs.
    n_empty_truth : queries without any relevant item.
    empty_truth   : policy used for those queries ("exclude" or "zero").
    """

    per_query: pd.DataFrame
    summary: dict[str, dict[int, float]]
    ks: tuple[int, ...]
    n_queries: int
    n_empty_truth: int
    empty_truth: EmptyTruth
    metrics: tuple[str, ...] = field(default=())

    def _names(self) -> dict[str, tuple[str, int]]:
        out = {}
        for key, per_k in self.summary.items():
            metric, _, part = key.partition(".")
            for k in per_k:
                out[f"{metric}@{k}" + (f".{part}" if part else "")] = (key, k)
        return out

    def metric_names(self) -> list[str]:
        """Every name ``value`` accepts: "ndcg@10", "ndcg@10.explore", "coverage@10", ..."""
        return list(self._names())

    def value(self, name: str) -> float:
        """Summary value by full name, e.g. "ndcg@10", "hit_value@10.explore", "repeat_share@10"."""
        names = self._names()
        if name not in names:
            raise ConfigError(f"no summary value {name!r}; available: {', '.join(names)}")
        key, k = names[name]
        return self.summary[key][k]

    def summary_frame(self) -> pd.DataFrame:
        """Summary as a table: one row per metric, one column per cut-off."""
        frame = pd.DataFrame(self.summary).T
        frame.index.name = "metric"
        frame.columns = [f"@{k}" for k in frame.columns]
        return frame

    def by_k(self, metrics: Iterable[str] | None = None) -> dict[str, dict[str, float]]:
        """JSON-friendly {"<k>": {metric: value}} restricted to ``metrics`` (default all)."""
        names = list(self.summary) if metrics is None else list(metrics)
        return {str(k): {m: self.summary[m][k] for m in names if k in self.summary[m]}
                for k in self.ks}


def _infer_n_items(recs: np.ndarray, truth: TruthLike, catalog: Catalog | None,
                   n_items: int | None) -> int:
    candidates = {"n_items": n_items,
                  "truth.shape[1]": truth.shape[1] if hasattr(truth, "shape") else None,
                  "catalog": catalog.n_items if catalog is not None else None}
    given = {k: v for k, v in candidates.items() if v is not None}
    if len(set(given.values())) > 1:
        raise DataError(f"inconsistent item counts: {given}",
                        hint="truth columns, catalog arrays and n_items must share one item index")
    if given:
        return int(next(iter(given.values())))
    top = int(recs.max()) if recs.size else -1
    for row in truth:  # lists of item indices
        for item in row:
            top = max(top, int(item))
    return top + 1


def _add_column(columns: dict[str, np.ndarray], summary: dict[str, dict[int, float]], metric: str,
                part: str, k: int, values: np.ndarray, excluded: np.ndarray | None) -> None:
    """Store one per-query column ("ndcg@10" or "ndcg@10.explore") and its NaN-skipping mean."""
    col = np.asarray(values, dtype=np.float64)
    if excluded is not None and excluded.any():
        col = np.where(excluded, np.nan, col)
    suffix = f".{part}" if part else ""
    columns[f"{metric}@{k}{suffix}"] = col
    finite = ~np.isnan(col)
    mean = float(col[finite].mean()) if finite.any() else float("nan")
    summary.setdefault(f"{metric}{suffix}", {})[k] = mean


def evaluate(recs: np.ndarray, truth: TruthLike, metrics: Sequence[str | Metric] | None = None,
             ks: Sequence[int] | int = (5, 10, 20), catalog: Catalog | None = None, *,
             n_items: int | None = None, query_ids: Sequence | None = None,
             empty_truth: EmptyTruth = "exclude", check_duplicates: bool = True,
             history: sp.sparray | sp.spmatrix | None = None,
             truth_value: sp.sparray | sp.spmatrix | None = None,
             truth_margin: sp.sparray | sp.spmatrix | None = None, offers=None,
             cart_value: np.ndarray | None = None) -> EvalResult:
    """Evaluate ranked recommendations against hidden items at several cut-offs at once.

    Parameters
    ----------
    recs : int array (n_queries, K) of item indices in rank order, padded with -1.
        Columns beyond max(ks) are ignored; fewer columns than max(ks) behave as padding.
    truth : CSR matrix (n_queries, n_items) of hidden items (value > 0 = relevant),
        or one list of item indices per query.
    metrics : names (see ``available_metrics()``) and/or Metric instances; None =
        every default metric whose catalog fields are present.
    ks : cut-offs.
    catalog : item side information for beyond-accuracy and business metrics.
    n_items : size of the item index, when neither truth nor catalog fixes it.
    query_ids : labels for the per-query index (e.g. ``AlignedArrays.query_ids``).
    empty_truth : "exclude" (default): truth-based per-query values are NaN and
        left out of means for queries without relevant items. "zero": they score 0
        and count (what ranx does for a query present in qrels with no relevant doc).
    check_duplicates : reject an item repeated within a row (one row sort, O(n K log K)).
    history : CSR (n_queries, n_items) in the truth's item index: items the
        query's customer bought in the training period (empty row for anonymous
        or new customers). Adds ``repeat_share@k`` and, for every truth-based
        per-query metric, the parts "<metric>@k.repeat" (truth ∩ history) and
        "<metric>@k.explore" (truth minus history); a query whose part is empty is
        NaN for that part, whatever ``empty_truth`` says.
    truth_value : CSR with the truth's sparsity, values = each hidden line's
        real value (quantity x unit price). Adds ``hit_value@k``.
    truth_margin : like truth_value with quantity x (price - cost), NaN-free.
        Adds ``hit_margin@k``.
    offers : which leading slots of each row form an offered bundle and its discount (an object
        with (n,) ``size`` and ``discount`` arrays, e.g. a bundle model's ``offers(queries, ids)``).
        Adds the bundle metrics (metrics/bundles.py).
    cart_value : (n_queries,) value of each visible cart, finite and >= 0; read by the
        threshold metrics (cs_lab.eval.metrics.threshold, passed as instances).
    """
    if empty_truth not in ("exclude", "zero"):
        raise ConfigError(f"empty_truth must be 'exclude' or 'zero', got {empty_truth!r}")
    cutoffs = check_ks(ks)
    arr = np.asarray(recs)
    n = int(arr.shape[0]) if arr.ndim else 0
    n_items_ = _infer_n_items(arr, truth, catalog, n_items)
    arr = pad_to(check_recs(arr, n_items_, check_duplicates=check_duplicates), cutoffs[-1])
    truth_mat = as_truth_matrix(truth, n_items_)
    if truth_mat.shape[0] != n:
        raise DataError(f"recs has {n} rows but truth has {truth_mat.shape[0]}",
                        hint="both must have one row per query, in the same order")
    if query_ids is not None and len(query_ids) != n:
        raise DataError(f"query_ids has {len(query_ids)} labels for {n} queries")

    if cart_value is not None:
        cart_value = np.asarray(cart_value, dtype=np.float64)
        if cart_value.shape != (n,):
            raise DataError(f"cart_value has shape {cart_value.shape}, expected ({n},): one value per query")
        if not (np.isfinite(cart_value) & (cart_value >= 0)).all():
            row = int(np.flatnonzero(~(np.isfinite(cart_value) & (cart_value >= 0)))[0])
            raise DataError(f"cart_value must be finite and >= 0, got {cart_value[row]!r} at query row {row}")

    def lines(values: sp.sparray | sp.spmatrix | None, name: str) -> sp.csr_array | None:
        return None if values is None else align_line_values(truth_mat, values, name)

    ctx = EvalContext(recs=arr, truth=truth_mat, n_items=n_items_, catalog=catalog,
                      empty_truth=empty_truth,
                      history=None if history is None else as_history_matrix(history, n, n_items_),
                      truth_value=lines(truth_value, "truth_value"),
                      truth_margin=lines(truth_margin, "truth_margin"),
                      offers=None if offers is None else as_offers(offers, n), cart_value=cart_value)
    parts: dict[str, EvalContext] = {}
    if ctx.history is not None:
        parts = dict(zip(PARTS, (ctx.restricted(t) for t in split_repeat_explore(truth_mat, ctx.history))))
    chosen = resolve_metrics(metrics, catalog, ctx.given_inputs())
    columns: dict[str, np.ndarray] = {}
    summary: dict[str, dict[int, float]] = {}
    for metric in chosen:
        values = metric.compute(ctx, cutoffs)
        if metric.scope == "global":
            summary[metric.name] = {k: float(values[k]) for k in cutoffs}
            continue
        split = metric.needs_truth and bool(parts)
        part_values = {p: metric.compute(pctx, cutoffs) for p, pctx in parts.items()} if split else {}
        for k in cutoffs:
            _add_column(columns, summary, metric.name, "", k, values[k],
                        ~ctx.evaluated if metric.needs_truth else None)
            for p, pvals in part_values.items():
                _add_column(columns, summary, metric.name, p, k, pvals[k], ~parts[p].has_truth)
    index = pd.RangeIndex(n, name="query") if query_ids is None else pd.Index(query_ids, name="query")
    per_query = pd.DataFrame(columns, index=index)
    return EvalResult(per_query=per_query, summary=summary, ks=cutoffs, n_queries=n,
                      n_empty_truth=int(np.count_nonzero(~ctx.has_truth)),
                      empty_truth=empty_truth, metrics=tuple(m.name for m in chosen))
