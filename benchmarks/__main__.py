"""`make bench` / `python -m benchmarks [NAME ...]`: every peer benchmark, side by side in one run.

Each benchmark measures cs_lab and its peer tool on the same input in one run and prints
the ratio; the numbers recorded in benchmarks/README.md come from these scripts.

    eval       cs_lab.eval vs ranx (1M queries x K=20)
    rules      our FP-Growth vs mlxtend (Groceries, Online Retail, Complete Journey)
    implicit   our ALS / BPR wrappers vs raw implicit
    simulate   1M simulated sessions with 1,000 bootstrap resamples (no peer: absolute time)
    scale      30M purchase lines: prep, rules, ALS, eval on the local engine vs the Spark engine
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
BENCHES = {
    "eval": ["bench_eval.py"],
    "rules": ["bench_rules.py"],
    "implicit": ["bench_implicit.py"],
    "simulate": ["bench_simulate.py"],
    "scale": ["bench_scale.py"],
}


def main(argv: list[str]) -> int:
    names = argv or list(BENCHES)
    unknown = [n for n in names if n not in BENCHES]
    if unknown:
        print(f"unknown benchmark(s) {unknown}; choose from {list(BENCHES)}", file=sys.stderr)
        return 2
    failed = []
    for name in names:
        cmd = [sys.executable, str(HERE / BENCHES[name][0]), *BENCHES[name][1:]]
        print(f"\n=== {name}: {' '.join(cmd[1:])}", flush=True)
        t0 = time.perf_counter()
        rc = subprocess.call(cmd)
        print(f"=== {name}: exit {rc} after {time.perf_counter() - t0:.0f}s", flush=True)
        if rc:
            failed.append(name)
    if failed:
        print(f"failed: {failed}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
