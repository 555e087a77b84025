"""FP-Growth: cs_lab.models.rules vs mlxtend on Groceries, Online Retail and The Complete Journey.

    python benchmarks/bench_rules.py                        # the cases of README_rules.md
    python benchmarks/bench_rules.py --cases groceries:0.001 online_retail:0.01 --json out.json
    python benchmarks/bench_rules.py --ours-only --cases complete_journey:0.00005

Every (library, dataset, thresholds) run is a fresh subprocess, so its peak memory is its own:
the child loads the prepared dataset (cache), builds the basket x item matrix (ours) or the
one-hot DataFrame (mlxtend: dense bool when it fits in --dense-limit-gb, else a sparse
DataFrame), then times

  itemsets  ours: fpgrowth(basket_items, min_support, max_len)
            mlxtend: fpgrowth(df, min_support, max_len=max_len)
  rules     ours: association_rules(itemsets, min_confidence, consequents="all")
            mlxtend: association_rules(itemsets, len(df), metric="confidence", min_threshold=...)
            (ours-only cases may ask for consequents="single" or no rules)

and reports wall and CPU seconds of each, the child's peak RSS (resource.getrusage ru_maxrss)
and the peak increase over the RSS held before mining (VmHWM after a reset through
/proc/self/clear_refs). Our numba kernels are compiled (or loaded from numba's cache) on a
tiny input before timing. The parent checks that both libraries found the same itemsets with
the same counts and the same number of rules.

mlxtend children run under an address-space cap (--mem-cap-gb, RLIMIT_AS) and a time limit
(--timeout); a child that hits either is reported with the reason.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

CASES = ["groceries:0.005", "groceries:0.001", "online_retail:0.02", "online_retail:0.01",
         "online_retail:0.005", "complete_journey:0.001", "complete_journey:0.0001"]
OURS_ONLY = ["complete_journey:0.00005::none", "complete_journey:0.00001:3:single"]
MIN_CONFIDENCE = 0.1


# -- child -------------------------------------------------------------------------------------
def _vm(field: str) -> float:
    """A VmXXX line of /proc/self/status in MiB (NaN when unavailable)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def _maxrss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _reset_peak() -> None:
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        pass


def _timed(fn):
    w, c = time.perf_counter(), time.process_time()
    out = fn()
    return out, time.perf_counter() - w, time.process_time() - c


def _canonical(sets: list[tuple[int, ...]], counts: np.ndarray) -> dict:
    order = sorted(range(len(sets)), key=lambda i: (len(sets[i]), sets[i]))
    return {"items": [list(sets[i]) for i in order], "counts": [int(counts[i]) for i in order]}


def child(args: argparse.Namespace) -> dict:
    from cs_lab.data import load_dataset
    from cs_lab.data.interactions import Interactions

    ds = load_dataset(args.dataset, progress=False)
    x = Interactions.from_lines(ds.lines).basket_items
    n = x.shape[0]
    res = {"library": args.child, "dataset": args.dataset, "n_baskets": n, "n_items": x.shape[1],
           "nnz": int(x.nnz), "min_support": args.min_support, "max_len": args.max_len,
           "min_confidence": args.min_confidence, "consequents": args.consequents}
    if args.child == "ours":
        import scipy.sparse as sp

        from cs_lab.models.rules import association_rules, fpgrowth

        _, res["warmup_s"], _ = _timed(lambda: association_rules(
            fpgrowth(sp.csr_matrix(np.eye(3)), 0.3), 0.1, "all"))
        mine = lambda: fpgrowth(x, args.min_support, args.max_len)  # noqa: E731
        rules = lambda s: association_rules(s, args.min_confidence, args.consequents)  # noqa: E731
    else:
        import pandas as pd
        from mlxtend.frequent_patterns import association_rules as mlx_rules
        from mlxtend.frequent_patterns import fpgrowth as mlx_fpgrowth

        dense_gb = n * x.shape[1] / 2**30
        t = time.perf_counter()
        if dense_gb <= args.dense_limit_gb:
            df = pd.DataFrame(x.toarray() > 0)
            res["input"] = f"dense bool DataFrame ({dense_gb:.2f} GiB)"
        else:
            df = pd.DataFrame.sparse.from_spmatrix(x.astype(bool))
            res["input"] = f"sparse DataFrame (dense would be {dense_gb:.1f} GiB)"
        res["input_s"] = time.perf_counter() - t
        mine = lambda: mlx_fpgrowth(df, min_support=args.min_support, max_len=args.max_len)  # noqa: E731
        rules = lambda s: mlx_rules(s, n, metric="confidence", min_threshold=args.min_confidence)  # noqa: E731
    res["rss_before_mib"] = _vm("VmRSS")
    peak = _maxrss_mib()  # the lifetime peak so far: resetting VmHWM below also resets ru_maxrss
    _reset_peak()
    sets, res["itemsets_wall_s"], res["itemsets_cpu_s"] = _timed(mine)
    res["itemsets_peak_increase_mib"] = _vm("VmHWM") - res["rss_before_mib"]
    res["n_itemsets"] = len(sets)
    peak = max(peak, _maxrss_mib())
    if args.consequents != "none":
        _reset_peak()
        before_rules = _vm("VmRSS")
        found, res["rules_wall_s"], res["rules_cpu_s"] = _timed(lambda: rules(sets))
        res["rules_peak_increase_mib"] = _vm("VmHWM") - before_rules
        res["n_rules"] = len(found)
    res["maxrss_mib"] = max(peak, _maxrss_mib())
    if args.child == "ours":
        tuples = [tuple(sets.itemset(i).tolist()) for i in range(len(sets))]
        counts = sets.counts
    else:
        tuples = [tuple(sorted(int(i) for i in s)) for s in sets["itemsets"]]
        counts = np.rint(sets["support"].to_numpy() * n).astype(np.int64)
    if args.output:
        Path(args.output).write_text(json.dumps(_canonical(tuples, counts)))
    return res


# -- parent ------------------------------------------------------------------------------------
def run_child(library: str, dataset: str, min_support: float, max_len: int | None, consequents: str,
              opts: argparse.Namespace, out_dir: Path) -> dict:
    out = out_dir / f"{library}-{dataset}-{min_support}-{max_len}.json"
    cmd = [sys.executable, __file__, "--child", library, "--dataset", dataset, "--min-support",
           str(min_support), "--min-confidence", str(opts.min_confidence), "--output", str(out),
           "--dense-limit-gb", str(opts.dense_limit_gb), "--consequents", consequents]
    if max_len is not None:
        cmd += ["--max-len", str(max_len)]
    cap = int(opts.mem_cap_gb * 2**30)

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))

    base = {"library": library, "dataset": dataset, "min_support": min_support, "max_len": max_len,
            "consequents": consequents}
    t0 = time.perf_counter()
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=opts.timeout,
                              preexec_fn=limit if library == "mlxtend" else None)
    except subprocess.TimeoutExpired:
        return {**base, "failed": f"did not finish within the {opts.timeout:.0f} s time limit"}
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        tail = (proc.stderr.strip().splitlines() or ["?"])[-1]
        if "MemoryError" in proc.stderr or "bad_alloc" in proc.stderr:
            why = f"out of memory under the {opts.mem_cap_gb:g} GiB address-space cap ({tail[:120]})"
        elif proc.returncode < 0:
            why = f"killed by signal {-proc.returncode} (likely the kernel's OOM killer)"
        else:
            why = f"exit {proc.returncode}: {tail[:160]}"
        return {**base, "failed": why, "child_wall_s": wall}
    res = json.loads(proc.stdout.strip().splitlines()[-1])
    res["child_wall_s"] = wall
    res["result_file"] = str(out)
    return res


def _same(a: dict, b: dict) -> str:
    """'yes' when both found the same itemsets (items and counts) and as many rules, else what differs."""
    if "failed" in a or "failed" in b:
        return "n/a"
    ra, rb = json.loads(Path(a["result_file"]).read_text()), json.loads(Path(b["result_file"]).read_text())
    sets = "same itemsets" if ra == rb else "DIFFERENT itemsets"
    if ra == rb and a.get("n_rules") == b.get("n_rules"):
        return "yes"
    return f"{sets}; rules {a.get('n_rules'):,} vs {b.get('n_rules'):,}"


def _parse(case: str) -> tuple[str, float, int | None, str]:
    """dataset:min_support[:max_len[:consequents]], consequents all (default), single or none."""
    parts = case.split(":") + ["", ""]
    return parts[0], float(parts[1]), (int(parts[2]) if parts[2] else None), (parts[3] or "all")


def _fmt(v, unit: str = "") -> str:
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return "-"
    return f"{v:,.2f}{unit}" if isinstance(v, float) else f"{v:,}{unit}"


def table(rows: list[dict]) -> str:
    head = ("| dataset | min_support | max_len | library | itemsets | itemsets wall / CPU | rules | "
            "rules wall / CPU | peak RSS | peak increase (itemsets) | identical |")
    lines = [head, "|" + "---|" * 11]
    for r in rows:
        case = f"| {r['dataset']} | {r['min_support']} | {r['max_len'] or '-'} | {r['library']} |"
        if "failed" in r:
            lines.append(f"{case} failed: {r['failed']} | | | | | | |")
            continue
        if "n_rules" in r:
            rules = (f"{r['n_rules']:,} ({r['consequents']}) | "
                     f"{r['rules_wall_s']:.3f} / {r['rules_cpu_s']:.3f} s")
        else:
            rules = "not mined | -"
        lines.append(f"{case} {r['n_itemsets']:,} | {r['itemsets_wall_s']:.3f} / {r['itemsets_cpu_s']:.3f} s | "
                     f"{rules} | {r['maxrss_mib']:,.0f} MiB | "
                     f"+{r['itemsets_peak_increase_mib']:,.0f} MiB | {r.get('identical', '')} |")
    return "\n".join(lines)


def ratios(rows: list[dict]) -> str:
    out = ["| dataset | min_support | mlxtend / ours: itemsets time (CPU) | rules time (CPU) | "
           "peak RSS | identical output |", "|---|---|---|---|---|---|"]
    by = {(r["dataset"], r["min_support"], r["max_len"], r["library"]): r for r in rows}
    for (d, s, ml, lib), ours in by.items():
        if lib != "ours" or (d, s, ml, "mlxtend") not in by:
            continue
        theirs = by[(d, s, ml, "mlxtend")]
        if "failed" in theirs or "failed" in ours:
            out.append(f"| {d} | {s} | mlxtend failed | | | |")
            continue
        out.append(f"| {d} | {s} | {theirs['itemsets_cpu_s'] / ours['itemsets_cpu_s']:,.0f}x | "
                   f"{theirs['rules_cpu_s'] / max(ours['rules_cpu_s'], 1e-6):,.0f}x | "
                   f"{theirs['maxrss_mib'] / ours['maxrss_mib']:.1f}x | {ours.get('identical')} |")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--cases", nargs="+", default=None,
                   help="dataset:min_support[:max_len] compared with mlxtend (default: %(default)s)")
    p.add_argument("--ours-cases", nargs="*", default=None, help="cases run with ours only (lowest supports)")
    p.add_argument("--ours-only", action="store_true", help="run --cases with ours only")
    p.add_argument("--min-confidence", type=float, default=MIN_CONFIDENCE)
    p.add_argument("--timeout", type=float, default=1200.0, help="seconds per child")
    p.add_argument("--mem-cap-gb", type=float, default=16.0, help="address-space cap of mlxtend children")
    p.add_argument("--dense-limit-gb", type=float, default=2.0,
                   help="give mlxtend a dense bool DataFrame up to this size, else a sparse one")
    p.add_argument("--json", type=Path, default=None, help="write every result to this file")
    # child mode
    p.add_argument("--child", choices=("ours", "mlxtend"), help=argparse.SUPPRESS)
    p.add_argument("--dataset", help=argparse.SUPPRESS)
    p.add_argument("--min-support", type=float, help=argparse.SUPPRESS)
    p.add_argument("--max-len", type=int, default=None, help=argparse.SUPPRESS)
    p.add_argument("--output", default=None, help=argparse.SUPPRESS)
    p.add_argument("--consequents", default="all", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.child:
        print(json.dumps(child(args)))
        return 0
    cases = [_parse(c) for c in (args.cases or CASES)]
    ours_cases = [_parse(c) for c in (args.ours_cases if args.ours_cases is not None
                                      else ([] if args.cases else OURS_ONLY))]
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench_rules_") as tmp:
        for dataset, s, ml, cons in cases + ours_cases:
            libs = ["ours"] if args.ours_only or (dataset, s, ml, cons) in ours_cases else ["ours", "mlxtend"]
            got = {}
            for lib in libs:
                print(f"[bench_rules] {lib} {dataset} min_support={s} max_len={ml} ...", file=sys.stderr, flush=True)
                got[lib] = run_child(lib, dataset, s, ml, cons, args, Path(tmp))
                print(f"[bench_rules]   {json.dumps({k: v for k, v in got[lib].items() if k != 'result_file'})}",
                      file=sys.stderr, flush=True)
            if len(got) == 2:
                same = _same(got["ours"], got["mlxtend"])
                for r in got.values():
                    r["identical"] = same
            rows.extend(got.values())
    print(f"machine: {os.cpu_count()} CPUs, Python {platform.python_version()}, "
          f"load average {os.getloadavg()[0]:.1f} at the end")
    print(table(rows))
    print()
    print(ratios(rows))
    if args.json:
        args.json.write_text(json.dumps([{k: v for k, v in r.items() if k != "result_file"} for r in rows],
                                        indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
