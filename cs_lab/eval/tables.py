"""Long tables -> aligned evaluation arrays.

recommendations : one row per (query_id, item_id, rank), rank 1 = top.
truth           : one row per (query_id, item_id) hidden item; optional quantity column.

External ids are mapped to contiguous ints: items through a shared index
(``item_ids``, e.g. a data-layer vocabulary's ``ids``) or, if none is given,
the items seen in either table; queries through ``query_ids`` or the union of
both tables (truth order first). A query present in truth but absent from the
recommendations gets an empty list (all -1); one present only in the
recommendations gets empty truth. Row numbers in errors are 1-based data rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
import scipy.sparse as sp

from cs_lab.errors import DataError
from cs_lab.eval.inputs import PAD, as_truth_matrix

QUERY = "query_id"
ITEM = "item_id"
RANK = "rank"
RECS_COLUMNS = (QUERY, ITEM, RANK)
TRUTH_COLUMNS = (QUERY, ITEM)

UnknownPolicy = Literal["error", "drop"]


@dataclass(frozen=True)
class AlignedArrays:
    """recs (n_queries, K) int64 padded with -1; truth CSR (n_queries, n_items); the id orders."""

    recs: np.ndarray
    truth: sp.csr_array
    query_ids: np.ndarray
    item_ids: np.ndarray


def require_columns(df: pd.DataFrame, columns: Sequence[str], source: str) -> None:
    """DataError naming the file and the first missing column."""
    for col in columns:
        if col not in df.columns:
            raise DataError(f"missing required column; have {list(df.columns)}", file=source,
                            column=col)


def _no_missing(values: pd.Series, column: str, source: str) -> None:
    missing = values.isna().to_numpy()
    if missing.any():
        raise DataError("missing value", file=source, row=int(np.argmax(missing)) + 1, column=column)


def _show(value: object) -> str:
    """repr of a table cell without numpy's type wrapper (1.5, not np.float64(1.5))."""
    return repr(value.item() if isinstance(value, np.generic) else value)


def integer_ranks(ranks: pd.Series, source: str) -> np.ndarray:
    """Ranks as int64; DataError with the first offending row for non-integers or ranks < 1."""
    numeric = pd.to_numeric(ranks, errors="coerce")
    values = numeric.to_numpy(dtype=np.float64, na_value=np.nan)
    bad = np.isnan(values) | (values != np.round(values))
    if bad.any():
        row = int(np.argmax(bad))
        raise DataError(f"rank {_show(ranks.iloc[row])} is not an integer", file=source, row=row + 1,
                        column=RANK)
    out = values.astype(np.int64)
    if (out < 1).any():
        row = int(np.argmax(out < 1))
        raise DataError(f"rank {out[row]} is below 1 (rank 1 = top)", file=source, row=row + 1,
                        column=RANK)
    return out


def _codes(values: pd.Series, index: pd.Index, unknown: UnknownPolicy, what: str,
           column: str, source: str) -> np.ndarray:
    codes = index.get_indexer(values.to_numpy())
    if unknown == "error" and (codes < 0).any():
        row = int(np.argmax(codes < 0))
        raise DataError(f"{what} {_show(values.iloc[row])} is not in the {what} index", file=source,
                        row=row + 1, column=column, hint="pass unknown='drop' to ignore such rows")
    return codes


def arrays_from_tables(recs: pd.DataFrame, truth: pd.DataFrame, *, k: int | None = None,
                       item_ids: Sequence | None = None, query_ids: Sequence | None = None,
                       quantity: str | None = None, unknown: UnknownPolicy = "error",
                       recs_source: str = "<recs>", truth_source: str = "<truth>") -> AlignedArrays:
    """Build ``evaluate`` inputs from long tables.

    k         : keep the top k ranks per query (default: the longest list).
    item_ids  : shared item index (external ids in column order); default = items seen.
    query_ids : query order; default = truth queries in order of appearance, then
                queries only in the recommendations.
    quantity  : truth column whose value is stored in the CSR (default 1 per line;
                repeated (query, item) lines are summed).
    unknown   : ids absent from a given item/query index: "error" or "drop" the row.

    Ranks order the list; gaps are allowed (ranks 1, 2, 5 fill positions 1-3).
    Duplicate (query_id, rank) or (query_id, item_id) in the recommendations are errors.
    """
    require_columns(recs, RECS_COLUMNS, recs_source)
    require_columns(truth, TRUTH_COLUMNS + ((quantity,) if quantity else ()), truth_source)
    for df, cols, src in ((recs, RECS_COLUMNS[:2], recs_source), (truth, TRUTH_COLUMNS, truth_source)):
        for col in cols:
            _no_missing(df[col], col, src)
    ranks = integer_ranks(recs[RANK], recs_source)

    if item_ids is None:
        items = pd.Index(pd.unique(pd.concat([truth[ITEM], recs[ITEM]], ignore_index=True).to_numpy()))
    else:
        items = pd.Index(np.asarray(item_ids))
    if query_ids is None:
        queries = pd.Index(pd.unique(pd.concat([truth[QUERY], recs[QUERY]], ignore_index=True).to_numpy()))
    else:
        queries = pd.Index(np.asarray(query_ids))
    if not items.is_unique or not queries.is_unique:
        raise DataError("item_ids and query_ids must not repeat an id")

    rq = _codes(recs[QUERY], queries, unknown, "query", QUERY, recs_source)
    ri = _codes(recs[ITEM], items, unknown, "item", ITEM, recs_source)
    tq = _codes(truth[QUERY], queries, unknown, "query", QUERY, truth_source)
    ti = _codes(truth[ITEM], items, unknown, "item", ITEM, truth_source)

    rec_arr = _rec_matrix(rq, ri, ranks, len(queries), k, recs_source)
    keep = (tq >= 0) & (ti >= 0)
    values = (np.ones(keep.sum()) if quantity is None
              else pd.to_numeric(truth[quantity], errors="coerce").to_numpy(np.float64)[keep])
    coo = sp.coo_array((values, (tq[keep], ti[keep])), shape=(len(queries), len(items)))
    return AlignedArrays(recs=rec_arr, truth=as_truth_matrix(coo.tocsr()),
                         query_ids=queries.to_numpy(), item_ids=items.to_numpy())


def _rec_matrix(q: np.ndarray, item: np.ndarray, rank: np.ndarray, n_queries: int,
                k: int | None, source: str) -> np.ndarray:
    """Scatter (query, item, rank) rows into a padded (n_queries, K) array in rank order."""
    keep = (q >= 0) & (item >= 0)
    rows = np.flatnonzero(keep) if not keep.all() else np.arange(q.size)
    q, item, rank = q[rows], item[rows], rank[rows]
    span = int(rank.max(initial=0)) + 1
    if span * max(n_queries, 1) < 2**62:
        key = q * span + rank
        order = np.arange(key.size) if np.all(key[1:] > key[:-1]) else np.argsort(key, kind="stable")
    else:  # ranks too large to pack (query, rank) into one int64 key
        order = np.lexsort((rank, q))
    qs, rs = q[order], rank[order]
    dup = np.flatnonzero((qs[1:] == qs[:-1]) & (rs[1:] == rs[:-1]))
    if dup.size:
        row = int(rows[order[dup[0] + 1]])
        raise DataError(f"rank {rs[dup[0]]} appears twice for one query", file=source,
                        row=row + 1, column=RANK, hint="each (query_id, rank) must be unique")
    q_sorted = qs
    counts = np.bincount(q_sorted, minlength=n_queries)
    starts = np.cumsum(counts) - counts
    pos = np.arange(q_sorted.size) - starts[q_sorted]
    width = int(counts.max(initial=0)) if k is None else int(k)
    out = np.full((n_queries, width), PAD, dtype=np.int64)
    inside = pos < width
    out[q_sorted[inside], pos[inside]] = item[order][inside]
    if width > 1:
        ordered = np.sort(out, axis=1)
        dup_item = (ordered[:, 1:] == ordered[:, :-1]) & (ordered[:, 1:] >= 0)
        if dup_item.any():
            qi = int(np.flatnonzero(dup_item.any(axis=1))[0])
            it = int(ordered[qi, 1:][dup_item[qi]][0])
            row = int(rows[np.flatnonzero((q == qi) & (item == it))[1]])
            raise DataError("item recommended twice for one query", file=source, row=row + 1,
                            column=ITEM, hint="each (query_id, item_id) must be unique")
    return out
