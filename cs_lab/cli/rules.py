"""`cs-lab rules mine DATASET --min-support S --min-confidence C [--max-len L]
[--consequents single|all] [--algorithm fpgrowth|apriori] [--top N] [--out FILE] [--json]`.

Prints the number of frequent itemsets and rules and the top rules by lift (items with their
catalog descriptions when the dataset has them); ``--json`` prints exactly one JSON object
(counts and thresholds) instead; ``--out`` writes every rule to Parquet or CSV, chosen by the
file extension, atomically. Progress and timings go to stderr.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from cs_lab.errors import ConfigError

FORMATS = {".parquet": "parquet", ".pq": "parquet", ".csv": "csv"}


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("rules", help="mine frequent itemsets and association rules")
    rsub = p.add_subparsers(dest="rules_command", required=True, metavar="ACTION")
    m = rsub.add_parser("mine", help="frequent itemsets and association rules of a dataset's baskets")
    m.add_argument("dataset", help="dataset name (groceries, online_retail, ...) or a column-mapping YAML")
    m.add_argument("--min-support", type=float, required=True, metavar="S",
                   help="minimum share of baskets holding an itemset, in (0, 1]")
    m.add_argument("--min-confidence", type=float, required=True, metavar="C",
                   help="minimum rule confidence, in [0, 1]")
    m.add_argument("--max-len", type=int, default=None, metavar="L", help="largest itemset (default: no limit)")
    m.add_argument("--consequents", choices=("single", "all"), default="single",
                   help="single: one-item consequents (arules); all: every split (mlxtend)")
    m.add_argument("--algorithm", choices=("fpgrowth", "apriori"), default="fpgrowth",
                   help="frequent-itemset algorithm (same itemsets either way; default fpgrowth)")
    m.add_argument("--top", type=int, default=10, metavar="N", help="rules to print, best lift first")
    m.add_argument("--out", type=Path, default=None, metavar="FILE",
                   help="write all rules to FILE (.parquet, .pq or .csv)")
    m.add_argument("--json", action="store_true", help="print one JSON object (counts, thresholds)")
    m.set_defaults(func=cmd_mine)


def cmd_mine(args: argparse.Namespace) -> int:
    from cs_lab.data import load_dataset
    from cs_lab.data.interactions import Interactions
    from cs_lab.models.rules import association_rules, frequent_itemsets
    from cs_lab.models.rules._prepare import check_confidence, check_max_len, check_support, min_count

    check_support(args.min_support)
    check_max_len(args.max_len)
    check_confidence(args.min_confidence)
    if args.top < 0:
        raise ConfigError(f"--top must be >= 0, got {args.top}")
    fmt = _format(args.out) if args.out is not None else None
    clock = _Clock()
    ds = load_dataset(args.dataset)
    train = Interactions.from_lines(ds.lines)
    clock(f"{ds.name}: {train.n_baskets:,} baskets x {train.n_items:,} items")
    sets = frequent_itemsets(train.basket_items, args.min_support, args.max_len, args.algorithm)
    clock(f"{len(sets):,} frequent itemsets ({args.algorithm})")
    rules = association_rules(sets, args.min_confidence, args.consequents)
    clock(f"{len(rules):,} rules ({args.consequents} consequents)")
    ids = train.items.ids
    summary = {"dataset": ds.name, "n_baskets": int(train.n_baskets), "n_items": int(train.n_items),
               "min_support": args.min_support, "min_count": min_count(args.min_support, train.n_baskets),
               "min_confidence": args.min_confidence, "max_len": args.max_len,
               "consequents": args.consequents, "algorithm": args.algorithm,
               "n_frequent_items": int(np.sum(sets.sizes == 1)), "n_itemsets": len(sets),
               "n_rules": len(rules)}
    if fmt is not None:
        write_rules(rules, ids, args.out, fmt)
        summary["out"] = str(args.out)
        clock(f"wrote {args.out}")
    if args.json:
        print(json.dumps(summary))
        return 0
    print(f"{ds.name}: {train.n_baskets:,} baskets, {train.n_items:,} items; min_support={args.min_support} "
          f"(>= {summary['min_count']:,} baskets), min_confidence={args.min_confidence}, "
          f"max_len={args.max_len}, consequents={args.consequents}")
    by_size = np.bincount(sets.sizes)
    sizes = ", ".join(f"{k}: {int(c):,}" for k, c in enumerate(by_size) if c)
    print(f"frequent itemsets: {len(sets):,}" + (f" (by size {sizes})" if sizes else ""))
    print(f"rules: {len(rules):,}")
    if len(rules) and args.top:
        _print_top(rules, _labels(ds, ids), args.top)
    if fmt is not None:
        print(f"rules written to {args.out}")
    return 0


def _format(path: Path) -> str:
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise ConfigError(f"--out {path}: unknown extension {path.suffix!r}; use one of {sorted(FORMATS)}")
    return fmt


def _labels(ds, ids: np.ndarray) -> np.ndarray:
    """'item_id (description)' where the catalog has a description, else the item id."""
    desc = ds.catalog.set_index("item_id")["description"] if "description" in ds.catalog else None
    if desc is None or desc.isna().all():
        return ids.astype(object)
    d = desc.reindex(ids)
    return np.array([f"{i} ({t})" if isinstance(t, str) and t and t != i else str(i)
                     for i, t in zip(ids, d.to_numpy(dtype=object, na_value=None))], dtype=object)


def _print_top(rules, labels: np.ndarray, n: int) -> None:
    s = rules.itemsets
    print(f"top {min(n, len(rules))} rules by lift:")
    print(f"  {'lift':>8} {'conf':>6} {'support':>8}  rule")
    lift, conf, sup = rules.lift, rules.confidence, rules.support
    for r in rules.top(n, by="lift").tolist():
        a = ", ".join(labels[s.itemset(rules.antecedent[r])])
        c = ", ".join(labels[s.itemset(rules.consequent[r])])
        print(f"  {lift[r]:8.3f} {conf[r]:6.3f} {sup[r]:8.5f}  {{{a}}} -> {{{c}}}")


def rules_table(rules, ids: np.ndarray) -> pd.DataFrame:
    """Every rule, best lift first: antecedents / consequents as lists of item ids, metrics, counts."""
    from cs_lab.models.rules import METRICS

    order = rules.top(len(rules), by="lift")
    s = rules.itemsets
    out = {}
    for col, set_ids in (("antecedents", rules.antecedent[order]), ("consequents", rules.consequent[order])):
        offsets, items = s.gather(set_ids)
        values = ids[items].astype(str)
        out[col] = [values[a:b].tolist() for a, b in zip(offsets[:-1].tolist(), offsets[1:].tolist())]
    for m in METRICS:
        out[m] = rules.metric(m)[order]
    out["antecedent count"] = rules.antecedent_count[order]
    out["consequent count"] = rules.consequent_count[order]
    out["count"] = rules.count[order]
    return pd.DataFrame(out)


def write_rules(rules, ids: np.ndarray, path: Path, fmt: str) -> None:
    """Write the rules table to ``path`` atomically (a temp file in the same folder, then
    os.replace). CSV holds the item lists as JSON arrays; Parquet as lists of strings."""
    table = rules_table(rules, ids)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        if fmt == "parquet":
            table.to_parquet(tmp, index=False)
        else:
            for col in ("antecedents", "consequents"):
                table[col] = [json.dumps(v) for v in table[col]]
            table.to_csv(tmp, index=False)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class _Clock:
    """Timed progress lines on stderr."""

    def __init__(self) -> None:
        self.t0 = time.perf_counter()

    def __call__(self, what: str) -> None:
        print(f"[rules] {what} ({time.perf_counter() - self.t0:.2f}s)", file=sys.stderr, flush=True)
