"""``cs-lab evaluate RECS TRUTH``: accuracy metrics of a recommendation file against a truth file."""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

import pandas as pd

from cs_lab.errors import DataError
from cs_lab.eval import ACCURACY_METRICS, arrays_from_tables, evaluate
from cs_lab.eval.stats import render_frame
from cs_lab.eval.tables import ITEM, QUERY, RECS_COLUMNS, TRUTH_COLUMNS, require_columns

PARQUET_SUFFIXES = (".parquet", ".pq")
CSV_SUFFIXES = (".csv", ".csv.gz", ".tsv", ".tsv.gz")


def parse_ks(text: str) -> tuple[int, ...]:
    """'5,10,20' -> (5, 10, 20); argparse error for anything but positive integers."""
    try:
        ks = tuple(sorted({int(part) for part in text.split(",") if part.strip()}))
    except ValueError:
        raise argparse.ArgumentTypeError(f"--k expects comma-separated integers, got {text!r}") from None
    if not ks or min(ks) < 1:
        raise argparse.ArgumentTypeError(f"--k values must be positive integers, got {text!r}")
    return ks


def read_table(path: Path, columns: tuple[str, ...]) -> pd.DataFrame:
    """Read a Parquet or CSV/TSV file; id columns become strings so both files' ids compare equal."""
    name = path.name.lower()
    if not path.is_file():
        raise DataError("file not found", file=str(path))
    try:
        if name.endswith(PARQUET_SUFFIXES):
            df = pd.read_parquet(path)
        elif name.endswith(CSV_SUFFIXES):
            sep = "\t" if ".tsv" in name else ","
            df = pd.read_csv(path, sep=sep, dtype={QUERY: str, ITEM: str})
        else:
            raise DataError("unsupported file type", file=str(path),
                            hint=f"use one of {PARQUET_SUFFIXES + CSV_SUFFIXES}")
    except (OSError, ValueError) as exc:
        if isinstance(exc, DataError):
            raise
        raise DataError(f"cannot read table ({exc})", file=str(path)) from exc
    require_columns(df, columns, str(path))
    for col in (QUERY, ITEM):
        df[col] = df[col].astype("string").astype(object)
    return df


def handler(args: argparse.Namespace) -> int:
    recs = read_table(args.recs, RECS_COLUMNS)
    truth = read_table(args.truth, TRUTH_COLUMNS)
    for path, table, what in ((args.recs, recs, "recommendations"), (args.truth, truth, "hidden items")):
        if table.empty:      # a header-only file: an export that failed upstream, not "no recommendations"
            raise DataError("has no rows (only a header)", file=str(path),
                            hint=f"the {what} file must hold at least one row; check the step that wrote it")
    arrays = arrays_from_tables(recs, truth, k=max(args.k), recs_source=str(args.recs),
                                truth_source=str(args.truth))
    history = None
    metrics = list(ACCURACY_METRICS)
    if args.history is not None:
        history = history_matrix(read_table(args.history, TRUTH_COLUMNS), arrays, str(args.history))
    result = evaluate(arrays.recs, arrays.truth, metrics=metrics, ks=args.k,
                      query_ids=arrays.query_ids, history=history)
    names = [m + p for m in ACCURACY_METRICS for p in ("", ".repeat", ".explore") if m + p in result.summary]
    if args.json:
        payload = {k: {m: (None if math.isnan(v) else v) for m, v in values.items()}
                   for k, values in result.by_k(names).items()}
        print(json.dumps(payload, allow_nan=False))
        return 0
    table = result.summary_frame().loc[names]
    print(render_frame(table, fmt="text"))
    if history is not None:
        print("\n.repeat: hidden items the customer had bought before (in HISTORY); .explore: the others "
              "(queries without such items are left out of that part's mean)")
    print(f"\n{result.n_queries} queries, {result.n_queries - result.n_empty_truth} with hidden items "
          f"({result.n_empty_truth} without hidden items are excluded), "
          f"{len(arrays.item_ids)} distinct items")
    return 0


def history_matrix(history: pd.DataFrame, arrays, source: str):
    """CSR (queries, items) of the HISTORY table's (query_id, item_id) pairs in the evaluation's
    index; rows for queries or items the evaluation does not know are dropped (they cannot matter)."""
    import numpy as np
    import scipy.sparse as sp

    if history.empty:
        raise DataError("the history table has no rows", file=source,
                        hint="give the items each query's customer bought before, or drop --history")
    q = pd.Index(pd.Series(arrays.query_ids).astype(str)).get_indexer(history[QUERY])
    i = pd.Index(pd.Series(arrays.item_ids).astype(str)).get_indexer(history[ITEM])
    ok = (q >= 0) & (i >= 0)
    m = sp.csr_matrix((np.ones(int(ok.sum()), np.float32), (q[ok], i[ok])), shape=arrays.truth.shape)
    m.sum_duplicates()
    m.data[:] = 1.0
    return m


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``evaluate`` sub-command."""
    parser = subparsers.add_parser(
        "evaluate", help="accuracy metrics of a recommendation file against hidden items",
        description="RECS has columns query_id, item_id, rank (1 = top); TRUTH has query_id, "
                    "item_id. Parquet (.parquet, .pq) or CSV/TSV. Queries in TRUTH without "
                    "recommendations count as empty lists. Metrics: " + ", ".join(ACCURACY_METRICS))
    parser.add_argument("recs", metavar="RECS", type=Path, help="recommendations table")
    parser.add_argument("truth", metavar="TRUTH", type=Path, help="hidden items table")
    parser.add_argument("--k", type=parse_ks, default=(5, 10, 20), metavar="K[,K...]",
                        help="cut-offs, comma-separated (default 5,10,20)")
    parser.add_argument("--history", type=Path, default=None, metavar="HISTORY",
                        help="query_id, item_id of the items each query's customer bought before: every metric "
                             "is then also shown on the repeat and explore parts of the truth (history.parquet "
                             "of a run's comparison)")
    parser.add_argument("--json", action="store_true",
                        help='print one JSON object {"<k>": {metric: value}}')
    parser.set_defaults(func=handler)
