"""Benchmark: cs_lab.simulate on 1M sessions with 1,000 bootstrap resamples (time and peak memory).

    python benchmarks/bench_simulate.py                          # 1M sessions, 3 arms, B = 1000
    python benchmarks/bench_simulate.py --sessions 100000 --json /tmp/sim.json

Steps (each timed separately, wall clock and process CPU time):
1. synthetic sessions (cs_lab.simulate.synthetic, seeded), ~1.5 hidden items each, and two
   model-style policies (integer item indices + vocabulary, as Recommender.recommend returns);
2. encode: SessionSet.from_frames + prepare_arms (string ids -> codes);
3. simulate: assignment hash, acceptance draws, outcomes, lift table with z/Welch tests,
   CUPED and the Poisson bootstrap of 5 metrics (+5 CUPED-adjusted) in every arm;
4. the bootstrap alone (poisson_bootstrap_means on the same per-arm matrices).

Peak memory is the process's peak RSS during step 3 above the RSS before it: the kernel's
VmHWM mark is reset through /proc/self/clear_refs after step 2 (falls back to ru_maxrss).
The machine's load average is printed, since other jobs share the 2 cores.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from cs_lab.simulate import SessionSet, SimulationConfig, run  # noqa: E402
from cs_lab.simulate.engine import prepare_arms  # noqa: E402
from cs_lab.simulate.stats.bootstrap import poisson_bootstrap_means  # noqa: E402
from cs_lab.simulate.synthetic import synthetic_policy, synthetic_sessions  # noqa: E402


def _status(field: str) -> float | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024.0  # MiB
    except OSError:
        pass
    return None


def _reset_hwm() -> bool:
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


class Timer:
    def __init__(self) -> None:
        self.rows: dict[str, dict[str, float]] = {}

    def __call__(self, name: str):
        timer = self

        class _T:
            def __enter__(self):
                self.w, self.c = time.perf_counter(), time.process_time()

            def __exit__(self, *exc):
                timer.rows[name] = {"wall_s": time.perf_counter() - self.w, "cpu_s": time.process_time() - self.c}
                print(f"{name:>10}: {timer.rows[name]['wall_s']:7.2f} s wall, {timer.rows[name]['cpu_s']:7.2f} s cpu",
                      flush=True)

        return _T()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sessions", type=int, default=1_000_000)
    ap.add_argument("--bootstrap", type=int, default=1000)
    ap.add_argument("--items", type=int, default=50_000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args()
    t = Timer()
    print(f"load average before: {os.getloadavg()}", flush=True)
    with t("generate"):
        data = synthetic_sessions(args.sessions, n_items=args.items, seed=args.seed)
        arms = {"control": None, "A": synthetic_policy(data, 0.3, seed=1), "B": synthetic_policy(data, 0.4, seed=2)}
    cfg = SimulationConfig(n_bootstrap=args.bootstrap, cuped=True, take_rate=0.3, organic_rate=0.1, seed=args.seed)
    with t("encode"):
        ss = SessionSet.from_frames(data.sessions, data.truth, covariate=cfg.covariate)
        prepared = prepare_arms(arms, ss, cfg)
    rss_before = _status("VmRSS")
    hwm_reset = _reset_hwm()
    maxrss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    with t("simulate"):
        res = run(ss, prepared, cfg)
    peak = _status("VmHWM") if hwm_reset else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    peak_over = (peak - rss_before) if (peak is not None and rss_before is not None) else None
    arm = res.per_session["arm"].cat.codes.to_numpy()
    cols = [c for c in ("converted", "offer_converted", "addon_revenue", "order_value", "margin")]
    mat = res.per_session[cols].to_numpy(dtype=np.float64)
    mat = np.hstack([mat, mat])  # as many columns as the simulate run (raw + CUPED)
    with t("bootstrap"):
        for a in range(3):
            poisson_bootstrap_means(mat[arm == a], args.bootstrap, seed=a)
    print(f"peak RSS during simulate: {peak:.0f} MiB ({peak_over:.0f} MiB above the {rss_before:.0f} MiB before it;"
          f" HWM reset: {hwm_reset}; ru_maxrss before: {maxrss_before:.0f} MiB)")
    print(f"load average after: {os.getloadavg()}")
    head = res.headline()
    print(res.arms.to_string(index=False))
    print(head[["arm", "metric", "method", "rel_lift", "rel_ci_low", "rel_ci_high", "p_value"]].to_string(index=False))
    out = {"sessions": args.sessions, "hidden_lines": int(len(data.truth)), "bootstrap": args.bootstrap,
           "arms": 3, "metric_columns": int(mat.shape[1]), "timings": t.rows, "peak_rss_mib": peak,
           "peak_rss_over_baseline_mib": peak_over, "rss_before_mib": rss_before, "cpus": os.cpu_count(),
           "python": platform.python_version(), "numpy": np.__version__, "load_average_end": os.getloadavg()}
    if args.json:
        args.json.write_text(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
