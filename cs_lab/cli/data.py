"""`cs-lab data list | prepare NAME | stats NAME [--json] | scale NAME --lines 30M --seed 0 --out PATH`."""

from __future__ import annotations

import argparse
import json
import re
import time
from decimal import Decimal, InvalidOperation
from pathlib import Path

from cs_lab.data import cache
from cs_lab.data.loaders import LOADERS
from cs_lab.data.sources import data_dir


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("data", help="list, prepare and describe datasets")
    dsub = p.add_subparsers(dest="data_command", required=True, metavar="ACTION")
    ls = dsub.add_parser("list", help="every dataset: raw files present, cached or missing")
    ls.set_defaults(func=cmd_list)
    pr = dsub.add_parser("prepare", help="read, verify, clean and cache a dataset")
    pr.add_argument("name", help=f"dataset name ({', '.join(LOADERS)}) or a column-mapping YAML")
    pr.add_argument("--force", action="store_true", help="rebuild even when a cache entry exists")
    pr.set_defaults(func=cmd_prepare)
    st = dsub.add_parser("stats", help="statistics of a prepared dataset")
    st.add_argument("name", help="dataset name or a column-mapping YAML")
    st.add_argument("--json", action="store_true", help="print one JSON object")
    st.set_defaults(func=cmd_stats)
    sc = dsub.add_parser("scale", help="resample households of a prepared dataset into a Parquet file of N lines",
                         description="Resample households (fresh ids, dates shifted by whole weeks) of a "
                                     "prepared dataset up to --lines purchase lines, streamed into one Parquet "
                                     "file plus a JSON sidecar <out>.json. See docs/data.md.")
    sc.add_argument("name", help=f"dataset name ({', '.join(LOADERS)}) or a column-mapping YAML")
    sc.add_argument("--lines", type=parse_count, required=True,
                    help="target number of lines: an integer or with a K/M/G suffix (30M, 1.5M); the output "
                         "has at least this many, less than one household more")
    sc.add_argument("--seed", type=_non_negative_int, default=0, help="random seed (default 0)")
    sc.add_argument("--out", type=Path, required=True, help="output Parquet file (replaced if it exists)")
    sc.add_argument("--max-shift-weeks", type=_non_negative_int, default=26,
                    help="each household copy is shifted by a whole number of weeks in [-W, W] (default 26)")
    sc.add_argument("--chunk-lines", type=parse_count, default=2_000_000,
                    help="lines generated and written per step; bounds memory (default 2M)")
    sc.set_defaults(func=cmd_scale)


_SUFFIX = {"": 1, "K": 10**3, "M": 10**6, "G": 10**9}
_COUNT = re.compile(r"(\d[\d_]*(?:\.\d+)?)([KMG]?)")


def parse_count(text: str) -> int:
    """A positive count: '30000000', '30_000_000', '30M', '1.5M', '500k', '2G' (K/M/G = 10^3/6/9)."""
    m = _COUNT.fullmatch(text.strip().upper())
    if m is None:
        raise argparse.ArgumentTypeError(f"expected a positive integer, optionally with a K/M/G suffix "
                                         f"(e.g. 30M, 1.5M, 500K), got {text!r}")
    try:
        value = Decimal(m.group(1).replace("_", "")) * _SUFFIX[m.group(2)]
    except InvalidOperation:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if value != value.to_integral_value():
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of lines ({value})")
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {text!r}")
    return int(value)


def _non_negative_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer >= 0, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {text!r}")
    return value


def _load(name: str, **kw):
    from cs_lab.data import load_dataset
    return load_dataset(name, **kw)


def cmd_list(args) -> int:
    print(f"raw data folder: {data_dir()}   cache: {cache.cache_dir()}")
    print(f"{'dataset':<18} {'raw':<9} {'cached':<7} description")
    for name, cls in LOADERS.items():
        loader = cls()
        status = loader.raw_status()
        raw = "present" if all(v is not None for v in status.values()) else (
            "partial" if any(v is not None for v in status.values()) else "missing")
        cached = "yes" if cache.entries(name) else "no"
        print(f"{name:<18} {raw:<9} {cached:<7} {loader.description}")
        for key, path in status.items():
            if path is None:
                src = next(s for s in loader.sources if s.key == key)
                print(f"{'':<18}   missing {key}: put {src.candidates[0].filename!r} in "
                      f"{data_dir() / src.folder}")
    _list_bandit_logs()
    return 0


def _list_bandit_logs() -> None:
    """Logged bandit feedback (not baskets: read by `cs-lab ope`, never prepared or cached)."""
    from cs_lab.data.loaders.open_bandit import OpenBandit

    loader = OpenBandit()
    status = loader.raw_status()
    raw = "present" if all(v is not None for v in status.values()) else (
        "partial" if any(v is not None for v in status.values()) else "missing")
    print(f"{loader.name:<18} {raw:<9} {'-':<7} {loader.description} (bandit log: `cs-lab ope open_bandit`)")
    for key, path in status.items():
        if path is None:
            src = next(s for s in loader.sources if s.key == key)
            print(f"{'':<18}   missing {key}: put {src.candidates[0].filename!r} in {data_dir() / src.folder}")


def cmd_prepare(args) -> int:
    t0 = time.perf_counter()
    ds = _load(args.name, force=args.force)
    print(f"{ds.name}: {len(ds.lines):,} lines, {ds.lines['basket_id'].nunique():,} baskets, "
          f"{len(ds.catalog):,} items ({time.perf_counter() - t0:.2f}s)")
    print(ds.report.table())
    return 0


def cmd_stats(args) -> int:
    from cs_lab.data.stats import dataset_stats, format_stats

    st = dataset_stats(_load(args.name))
    print(json.dumps(st, indent=None if args.json else 2) if args.json else format_stats(st))
    return 0


def cmd_scale(args) -> int:
    import sys

    from cs_lab.data.scale import write_scaled

    t0 = time.perf_counter()
    ds = _load(args.name)
    source = {"dataset": ds.name, "cache_key": cache.cache_key(ds.name, ds.source_sha256, ds.cleaning_version)}
    lines = ds.lines
    del ds  # keep only the lines in memory
    rep = write_scaled(lines, args.lines, args.out, args.seed, max_shift_weeks=args.max_shift_weeks,
                       chunk_lines=args.chunk_lines, source=source, progress=sys.stderr.isatty())
    print(f"{source['dataset']} -> {args.out}: {rep.n_lines:,} lines, {rep.n_customers:,} households, "
          f"{rep.n_baskets:,} baskets, {rep.n_items:,} items, {rep.time_min} .. {rep.time_max}")
    print(f"{rep.bytes / 1e6:,.1f} MB in {time.perf_counter() - t0:.1f}s "
          f"(scaling {rep.seconds:.1f}s); sidecar {args.out}.json")
    return 0
