"""Benchmark: cs_lab.eval vs ranx on the same long tables (time and peak memory).

    python benchmarks/bench_eval.py                       # 1M queries x K=20, 50k items
    python benchmarks/bench_eval.py --queries 100000      # smaller run
    python benchmarks/bench_eval.py --ranx-queries 200000 # ranx on a prefix of the queries only

The parent process generates the data once (seeded) and writes two Parquet
files: recommendations (query_id, item_id, rank) and truth (query_id, item_id),
string ids as in real data, Zipf-like item popularity so that hits happen.
Each library then runs in its own fresh subprocess, so time and memory are
measured cleanly:

1. load both tables (not timed; RSS after loading is the baseline);
2. warm-up on a tiny input (ranx: numba JIT / cache load; timed separately);
   Id columns are converted to object dtype (ranx requires it) before the
   baseline, so both libraries start from the same in-memory tables
   (--also-native adds a run of ours on pandas' default Arrow string columns).
3. timed end to end: build the library's inputs from the long tables, then
   compute ndcg@K, precision@K, recall@K, map@K, mrr@K, hit_rate@K.

Peak memory is the process's peak RSS after the tables are loaded (the
kernel's VmHWM mark is reset through /proc/self/clear_refs after loading, so
the one-off cost of reading Parquet into Python strings does not count; falls
back to resource.getrusage). tracemalloc is not used because it does not see
numba's allocations. The parent checks that
both libraries report the same means (to 1e-9) and prints the speed ratio.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

METRICS = ("ndcg", "precision", "recall", "map", "mrr", "hit_rate")


# -- data ---------------------------------------------------------------------
def zipf_probabilities(n_items: int, exponent: float = 0.8) -> np.ndarray:
    weights = 1.0 / np.arange(1, n_items + 1) ** exponent
    return weights / weights.sum()


def distinct_rows(rng: np.random.Generator, n: int, k: int, p: np.ndarray) -> np.ndarray:
    """(n, k) item draws from p with no item repeated within a row (duplicate rows redrawn)."""
    out = rng.choice(p.size, size=(n, k), p=p)
    while True:
        ordered = np.sort(out, axis=1)
        bad = np.flatnonzero((ordered[:, 1:] == ordered[:, :-1]).any(axis=1))
        if bad.size == 0:
            return out
        out[bad] = rng.choice(p.size, size=(bad.size, k), p=p)


def make_tables(n_queries: int, n_items: int, k: int, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Long recommendation and truth tables with string ids."""
    rng = np.random.default_rng(seed)
    p = zipf_probabilities(n_items)
    perm = rng.permutation(n_items)  # popularity order unrelated to item id
    recs = perm[distinct_rows(rng, n_queries, k, p)]
    sizes = rng.integers(1, 6, n_queries)
    truth_items = perm[distinct_rows(rng, n_queries, 5, p)]
    keep = np.arange(5)[None, :] < sizes[:, None]
    qnames = np.array([f"q{i}" for i in range(n_queries)], dtype=object)
    inames = np.array([f"i{i}" for i in range(n_items)], dtype=object)
    recs_df = pd.DataFrame({"query_id": np.repeat(qnames, k), "item_id": inames[recs.ravel()],
                            "rank": np.tile(np.arange(1, k + 1), n_queries)})
    truth_df = pd.DataFrame({"query_id": np.repeat(qnames, 5)[keep.ravel()],
                             "item_id": inames[truth_items.ravel()][keep.ravel()]})
    return recs_df, truth_df


# -- measured children --------------------------------------------------------
def _status_mib(field: str) -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return float("nan")


def rss_mib() -> float:
    """Current resident set size."""
    return _status_mib("VmRSS")


def reset_peak_rss() -> bool:
    """Reset the kernel's peak-RSS mark (VmHWM) so loading the tables does not count; Linux >= 4.0."""
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
        return True
    except OSError:
        return False


def peak_rss_mib(reset_worked: bool) -> float:
    """Peak RSS since the reset (VmHWM), else since process start (getrusage)."""
    if reset_worked:
        return _status_mib("VmHWM")
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def warmup_slice(recs: pd.DataFrame, truth: pd.DataFrame, k: int,
                 n: int = 200) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The first n queries: same dtypes and id lengths as the full tables, for warm-up runs."""
    small = recs.iloc[: n * k]
    return small, truth[truth["query_id"].isin(set(small["query_id"]))]


def run_ours(recs: pd.DataFrame, truth: pd.DataFrame, k: int) -> tuple[dict, float, dict]:
    from cs_lab.eval import arrays_from_tables, evaluate

    t0 = time.perf_counter()
    small_recs, small_truth = warmup_slice(recs, truth, k)
    arr = arrays_from_tables(small_recs, small_truth, k=k)
    evaluate(arr.recs, arr.truth, metrics=list(METRICS), ks=(k,))
    warmup = time.perf_counter() - t0

    t0 = time.perf_counter()
    arr = arrays_from_tables(recs, truth, k=k)
    t_build = time.perf_counter() - t0
    result = evaluate(arr.recs, arr.truth, metrics=list(METRICS), ks=(k,), query_ids=arr.query_ids)
    t_eval = time.perf_counter() - t0 - t_build
    means = {f"{m}@{k}": result.summary[m][k] for m in METRICS}
    return means, warmup, {"build": t_build, "evaluate": t_eval}


def run_ranx(recs: pd.DataFrame, truth: pd.DataFrame, k: int) -> tuple[dict, float, dict]:
    import warnings

    from ranx import Qrels, Run
    from ranx import evaluate as ranx_evaluate

    warnings.filterwarnings("ignore")  # numba type-safety warnings inside ranx
    names = [f"{m}@{k}" for m in METRICS]

    def build_and_score(recs: pd.DataFrame, truth: pd.DataFrame) -> tuple[dict, float]:
        t0 = time.perf_counter()
        run_df = pd.DataFrame({"q_id": recs["query_id"], "doc_id": recs["item_id"],
                               "score": (k + 1 - recs["rank"]).astype(np.float64)})
        qrels_df = pd.DataFrame({"q_id": truth["query_id"], "doc_id": truth["item_id"],
                                 "score": np.ones(len(truth), dtype=np.int64)})
        run = Run.from_df(run_df, q_id_col="q_id", doc_id_col="doc_id", score_col="score")
        qrels = Qrels.from_df(qrels_df, q_id_col="q_id", doc_id_col="doc_id", score_col="score")
        t_build = time.perf_counter() - t0
        return ranx_evaluate(qrels, run, names, make_comparable=True), t_build

    t0 = time.perf_counter()
    build_and_score(*warmup_slice(recs, truth, k))  # JIT-compiles for the same argument types
    warmup = time.perf_counter() - t0

    t0 = time.perf_counter()
    means, t_build = build_and_score(recs, truth)
    t_eval = time.perf_counter() - t0 - t_build
    return {m: float(v) for m, v in means.items()}, warmup, {"build": t_build, "evaluate": t_eval}


def child(args: argparse.Namespace) -> None:
    data = Path(args.data)
    recs = pd.read_parquet(data / "recs.parquet")
    truth = pd.read_parquet(data / "truth.parquet")
    if args.limit:
        n = args.limit
        recs = recs.iloc[: n * args.k].reset_index(drop=True)
        truth = truth[truth["query_id"].isin(set(recs["query_id"].unique()))].reset_index(drop=True)
    if not args.native:  # ranx needs object-dtype ids; both libraries get the same tables
        for df in (recs, truth):
            for col in ("query_id", "item_id"):
                df[col] = df[col].astype(object)
    gc.collect()
    baseline = rss_mib()
    reset = reset_peak_rss()
    if args.child == "ours":
        import cs_lab.eval  # noqa: F401  imports are not timed
        fn = run_ours
    else:
        import ranx  # noqa: F401
        fn = run_ranx
    means, warmup, phases = fn(recs, truth, args.k)
    total = phases["build"] + phases["evaluate"]
    label = args.child + (" (arrow ids)" if args.native else "")
    print(json.dumps({"library": label, "queries": int(recs["query_id"].nunique()),
                      "rows": len(recs), "seconds": total, "phases": phases, "warmup": warmup,
                      "rss_baseline_mib": baseline, "peak_rss_mib": peak_rss_mib(reset),
                      "peak_since_load": reset,
                      "means": means}))


def measure(library: str, data: Path, k: int, limit: int | None, native: bool = False) -> dict:
    cmd = [sys.executable, __file__, "--child", library, "--data", str(data), "--k", str(k)]
    if limit:
        cmd += ["--limit", str(limit)]
    if native:
        cmd += ["--native"]
    env = dict(os.environ, PYTHONWARNINGS="ignore")
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if proc.returncode != 0:
        raise RuntimeError(f"{library} child failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def report(r: dict) -> str:
    ph = r["phases"]
    return (f"{r['library']:>16}: {r['queries']:>9,} queries  {r['seconds']:8.2f} s "
            f"(build {ph['build']:.2f} s + evaluate {ph['evaluate']:.2f} s; warm-up {r['warmup']:.2f} s "
            f"not counted)  peak RSS {r['peak_rss_mib']:8.0f} MiB "
            f"(+{r['peak_rss_mib'] - r['rss_baseline_mib']:.0f} MiB over the loaded tables)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--queries", type=int, default=1_000_000)
    parser.add_argument("--ranx-queries", type=int, default=None,
                        help="run ranx (and ours again) on the first N queries only")
    parser.add_argument("--items", type=int, default=50_000)
    parser.add_argument("--k", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--skip-ranx", action="store_true")
    parser.add_argument("--json-out", type=Path, default=None)
    parser.add_argument("--also-native", action="store_true",
                        help="also time ours on pandas' default (Arrow-backed) string id columns")
    parser.add_argument("--child", choices=("ours", "ranx"), help=argparse.SUPPRESS)
    parser.add_argument("--data", help=argparse.SUPPRESS)
    parser.add_argument("--limit", type=int, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--native", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return

    with tempfile.TemporaryDirectory(prefix="bench_eval_") as tmp:
        data = Path(tmp)
        t0 = time.perf_counter()
        recs, truth = make_tables(args.queries, args.items, args.k, args.seed)
        recs.to_parquet(data / "recs.parquet")
        truth.to_parquet(data / "truth.parquet")
        print(f"data: {args.queries:,} queries x K={args.k} ({len(recs):,} rec rows), "
              f"{len(truth):,} truth rows, {args.items:,} items; generated in "
              f"{time.perf_counter() - t0:.1f} s; {os.cpu_count()} CPUs", flush=True)
        del recs, truth
        results = [measure("ours", data, args.k, None)]
        print(report(results[-1]), flush=True)
        if args.also_native:
            results.append(measure("ours", data, args.k, None, native=True))
            print(report(results[-1]), flush=True)
        if not args.skip_ranx:
            limit = args.ranx_queries if args.ranx_queries and args.ranx_queries < args.queries else None
            if limit:
                results.append(measure("ours", data, args.k, limit))
                print(report(results[-1]), flush=True)
            results.append(measure("ranx", data, args.k, limit))
            print(report(results[-1]), flush=True)
            ours = [r for r in results if r["library"] == "ours"][-1]  # same tables as ranx
            theirs = results[-1]
            diffs = {m: abs(ours["means"][m] - theirs["means"][m]) for m in ours["means"]}
            print("means:", {m: round(v, 6) for m, v in ours["means"].items()})
            print(f"max |ours - ranx| over the means: {max(diffs.values()):.2e}")
            print(f"speed-up end to end: {theirs['seconds'] / ours['seconds']:.1f}x; "
                  f"evaluate only: {theirs['phases']['evaluate'] / ours['phases']['evaluate']:.1f}x; "
                  f"peak RSS ratio (ranx / ours): {theirs['peak_rss_mib'] / ours['peak_rss_mib']:.1f}x")
        if args.json_out:
            args.json_out.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
