"""`cs-lab data list | prepare NAME | stats NAME [--json]`."""

from __future__ import annotations

import argparse
import json
import time

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
    return 0


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
