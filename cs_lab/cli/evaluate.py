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
    arrays = arrays_from_tables(recs, truth, k=max(args.k), recs_source=str(args.recs),
                                truth_source=str(args.truth))
    result = evaluate(arrays.recs, arrays.truth, metrics=list(ACCURACY_METRICS), ks=args.k,
                      query_ids=arrays.query_ids)
    if args.json:
        payload = {k: {m: (None if math.isnan(v) else v) for m, v in values.items()}
                   for k, values in result.by_k(ACCURACY_METRICS).items()}
        print(json.dumps(payload, allow_nan=False))
        return 0
    table = result.summary_frame().loc[list(ACCURACY_METRICS)]
    print(render_frame(table, fmt="text"))
    print(f"\n{result.n_queries} queries, {result.n_queries - result.n_empty_truth} with hidden items "
          f"({result.n_empty_truth} without hidden items are excluded), "
          f"{len(arrays.item_ids)} distinct items")
    return 0


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
    parser.add_argument("--json", action="store_true",
                        help='print one JSON object {"<k>": {metric: value}}')
    parser.set_defaults(func=handler)
