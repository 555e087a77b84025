"""What reproducibility costs: fit time of BPR / LightFM with 1 thread vs N, and whether two fits
with the same seed give identical factors. Usage:

    python benchmarks/threads_determinism.py [online_retail|complete_journey] [--threads 2] [--repeats 3]

Fits on the dataset's whole customer x item matrix with the settings of configs/models/*.yaml.
Timings alternate 1-thread and N-thread fits so that background load hits both alike.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import numpy as np

CONFIGS = {
    "bpr": {"model": "bpr", "factors": 64, "iterations": 40, "learning_rate": 0.05, "regularization": 0.01},
    "lightfm": {"model": "lightfm", "loss": "warp", "no_components": 32, "learning_rate": 0.05, "epochs": 5},
}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("dataset", nargs="?", default="online_retail")
    ap.add_argument("--threads", type=int, default=os.cpu_count() or 2)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()

    from cs_lab.data.interactions import Interactions
    from cs_lab.data.loaders import get_loader
    from cs_lab.models import registry

    ds = get_loader(args.dataset).prepare(progress=False)
    train = Interactions.from_lines(ds.lines)
    print(f"{args.dataset}: {train.n_customers:,} customers x {train.n_items:,} items, "
          f"{train.n_baskets:,} baskets; cores {os.cpu_count()}, load {os.getloadavg()[0]:.1f}")
    for name, cfg in CONFIGS.items():
        times: dict[int, list[float]] = {1: [], args.threads: []}
        factors: dict[int, list[np.ndarray]] = {1: [], args.threads: []}
        for _ in range(args.repeats):
            for n in (1, args.threads):
                m = registry.build({**cfg, "num_threads": n, "seed": 0})
                t0 = time.perf_counter()
                m.fit(train)
                times[n].append(time.perf_counter() - t0)
                factors[n].append(m.item_factors_.copy())
        for n in (1, args.threads):
            same = all(np.array_equal(factors[n][0], f) for f in factors[n][1:])
            print(f"  {name:8s} num_threads={n}: fit median {statistics.median(times[n]):6.2f} s "
                  f"(all {', '.join(f'{t:.2f}' for t in times[n])}); repeated fits identical: {same}")


if __name__ == "__main__":
    main()
