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


def _show(value: object) -> str:
    """repr of a table cell without numpy's type wrapper (1.5, not np.float64(1.5))."""
    return repr(value.item() if isinstance(value, np.generic) else value)


def integer_ranks(ranks: pd.Series, source: str) -> np.ndarray:
    """Ranks as int64; DataError with the first offending row for non-integers or ranks < 1."""
    if pd.api.types.is_integer_dtype(ranks.dtype) and not ranks.hasnans:
        out = ranks.to_numpy(dtype=np.int64)
    else:
        numeric = pd.to_numeric(ranks, errors="coerce")
        values = numeric.to_numpy(dtype=np.float64, na_value=np.nan)
        bad = np.isnan(values) | (values != np.round(values))
        if bad.any():
            row = int(np.argmax(bad))
            raise DataError(f"rank {_show(ranks.iloc[row])} is not an integer", file=source,
                            row=row + 1, column=RANK)
        out = values.astype(np.int64)
    if (out < 1).any():
        row = int(np.argmax(out < 1))
        raise DataError(f"rank {out[row]} is below 1 (rank 1 = top)", file=source, row=row + 1,
                        column=RANK)
    return out


def encode_ids(first: pd.Series, second: pd.Series, given: Sequence | None, unknown: UnknownPolicy,
               what: str, column: str, sources: tuple[str, str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Integer codes of two id columns under one shared index.

    One hash pass (``pd.factorize``) over both columns; with ``given`` ids, only
    the distinct values are looked up in it. Returns (codes of first, codes of
    second, index ids); -1 marks an id absent from ``given`` (unknown='drop').
    """
    both = pd.concat([first, second], ignore_index=True)
    codes, uniques = pd.factorize(both, use_na_sentinel=True)
    missing = codes < 0
    if missing.any():
        pos = int(np.argmax(missing))
        which = 0 if pos < len(first) else 1
        row = pos if which == 0 else pos - len(first)
        raise DataError("missing value", file=sources[which], row=row + 1, column=column)
    if given is None:
        index = np.asarray(uniques, dtype=object)
    else:
        index = np.asarray(given, dtype=object)
        lookup = pd.Index(index, dtype=object)
        if not lookup.is_unique:
            raise DataError(f"the given {what} ids repeat an id")
        codes = lookup.get_indexer(pd.Index(np.asarray(uniques, dtype=object), dtype=object))[codes]
        if unknown == "error" and (codes < 0).any():
            pos = int(np.argmax(codes < 0))
            which = 0 if pos < len(first) else 1
            row = pos if which == 0 else pos - len(first)
            value = (first if which == 0 else second).iloc[row]
            raise DataError(f"{what} {_show(value)} is not in the {what} index", file=sources[which],
                            row=row + 1, column=column, hint="pass unknown='drop' to ignore such rows")
    return codes[: len(first)], codes[len(first):], index


def arrays_from_tables(recs: pd.DataFrame, truth: pd.DataFrame, *, k: int | None = None,
                       item_ids: Sequence | None = None, query_ids: Sequence | None = None,
                       quantity: str | None = None, unknown: UnknownPolicy = "error",
                       recs_source: str = "<recs>", truth_source: str = "<truth>") -> AlignedArrays:
    """Build ``evaluate`` inputs from long tables.

    k         : keep the top k ranks per query (default: the longest list).
    item_ids  : shared item index (external ids in column order); default = items seen,
                truth first, in order of first appearance.
    query_ids : query order; default = truth queries in order of appearance, then
                queries only in the recommendations.
    quantity  : truth column whose value is stored in the CSR (default 1 per line;
                repeated (query, item) lines are summed).
    unknown   : ids absent from a given item/query index: "error" or "drop" the row.

    Ids are compared as they are (1 and "1" differ); read both tables with the
    same id dtype. Ranks order the list; gaps are allowed (ranks 1, 2, 5 fill
    positions 1-3). Duplicate (query_id, rank) or (query_id, item_id) in the
    recommendations are errors. Cost: one hash pass per id column pair, no
    per-query Python loop.
    """
    require_columns(recs, RECS_COLUMNS, recs_source)
    require_columns(truth, TRUTH_COLUMNS + ((quantity,) if quantity else ()), truth_source)
    sources = (truth_source, recs_source)
    tq, rq, queries = encode_ids(truth[QUERY], recs[QUERY], query_ids, unknown, "query", QUERY, sources)
    ti, ri, items = encode_ids(truth[ITEM], recs[ITEM], item_ids, unknown, "item", ITEM, sources)
    ranks = integer_ranks(recs[RANK], recs_source)

    rec_arr = _rec_matrix(rq, ri, ranks, len(queries), k, recs_source)
    keep = (tq >= 0) & (ti >= 0)
    values = (np.ones(keep.sum()) if quantity is None
              else pd.to_numeric(truth[quantity], errors="coerce").to_numpy(np.float64)[keep])
    coo = sp.coo_array((values, (tq[keep], ti[keep])), shape=(len(queries), len(items)))
    return AlignedArrays(recs=rec_arr, truth=as_truth_matrix(coo.tocsr()),
                         query_ids=queries, item_ids=items)


def _rec_matrix(q: np.ndarray, item: np.ndarray, rank: np.ndarray, n_queries: int,
                k: int | None, source: str) -> np.ndarray:
    """Scatter (query, item, rank) rows into a padded (n_queries, K) array in rank order.

    Tables already sorted by (query, rank) skip the sort; no copy is made when
    no row is dropped.
    """
    rows: np.ndarray | None = None
    keep = (q >= 0) & (item >= 0)
    if not keep.all():
        rows = np.flatnonzero(keep)
        q, item, rank = q[rows], item[rows], rank[rows]
    span = int(rank.max(initial=0)) + 1
    order: np.ndarray | None = None
    if span * max(n_queries, 1) < 2**62:
        key = q * span + rank
        if not np.all(key[1:] > key[:-1]):
            order = np.argsort(key, kind="stable")
    else:  # ranks too large to pack (query, rank) into one int64 key
        order = np.lexsort((rank, q))
    if order is not None:
        q, item, rank = q[order], item[order], rank[order]

    def table_row(i: int) -> int:
        i = int(order[i]) if order is not None else i
        return (int(rows[i]) if rows is not None else i) + 1

    dup = np.flatnonzero((q[1:] == q[:-1]) & (rank[1:] == rank[:-1]))
    if dup.size:
        raise DataError(f"rank {rank[dup[0]]} appears twice for one query", file=source,
                        row=table_row(int(dup[0]) + 1), column=RANK,
                        hint="each (query_id, rank) must be unique")
    counts = np.bincount(q, minlength=n_queries)
    starts = np.cumsum(counts) - counts
    pos = np.arange(q.size) - starts[q]
    width = int(counts.max(initial=0)) if k is None else int(k)
    out = np.full((n_queries, width), PAD, dtype=np.int64)
    inside = pos < width
    if inside.all():
        out[q, pos] = item
    else:
        out[q[inside], pos[inside]] = item[inside]
    if width > 1:
        ordered = np.sort(out, axis=1)
        dup_item = (ordered[:, 1:] == ordered[:, :-1]) & (ordered[:, 1:] >= 0)
        if dup_item.any():
            qi = int(np.flatnonzero(dup_item.any(axis=1))[0])
            it = int(ordered[qi, 1:][dup_item[qi]][0])
            second = int(np.flatnonzero((q == qi) & (item == it))[1])
            raise DataError("item recommended twice for one query", file=source,
                            row=table_row(second), column=ITEM,
                            hint="each (query_id, item_id) must be unique")
    return out
