"""Overhead of the cs_lab ALS / BPR wrappers over raw implicit on the same customer x item matrix.

    python benchmarks/bench_implicit.py [--datasets online_retail complete_journey] [--repeats 5]
                                        [--threads 1] [--queries 10000] [--json out.json]

For each dataset (all lines, customer x item basket counts) it times, several repeats each with
ours and raw alternating, and reports medians of wall time and of process CPU time (CPU time is
the steadier measure on a shared machine):

fit        ours: ALS(...).fit(train)  (builds the matrix, fits a fresh implicit model, copies factors)
           raw:  implicit.cpu.*.fit(matrix) on a prepared matrix
users      top-10 for ``--queries`` known customers (sampled with replacement), already bought items
           excluded. ours: recommend(Queries(empty carts, customers), exclude=history) with
           use_customer=True; raw: model.recommend(userids, history, N=10)
carts      top-10 for ``--queries`` training baskets used as carts, folded in; ours: recommend(Queries(carts)).
           ALS raw: recommend(ids, carts, N=10, recalculate_user=True) (the same exact solve).
           BPR raw: implicit has no BPR fold-in (recalculate_user is ALS-only), so its equivalent is its own
           SGD: a fresh BayesianPersonalizedRanking whose item factors start as a copy of the trained
           ones, fitted on the carts as new users for --bpr-iterations epochs (item factors move on the
           copy only), then recommend(ids, carts, N=10) against the trained item factors.

Both sides run with BLAS limited to one thread (as implicit recommends) and the same num_threads.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import time

import numpy as np
import scipy.sparse as sp
from threadpoolctl import threadpool_limits

from cs_lab.data import load_dataset
from cs_lab.data.interactions import Interactions
from cs_lab.data.queries import Queries
from cs_lab.models.implicit_cf import ALS, BPR
from cs_lab.models.implicit_cf.matrices import training_matrix

K = 10


def timed(fn) -> tuple[float, float]:
    """(wall seconds, CPU seconds of this process, all threads)."""
    w0, c0 = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - w0, time.process_time() - c0


def median_pair(ours_fn, raw_fn, repeats: int, warm_up: bool = True) -> dict:
    if warm_up:  # first calls pay one-off costs (caches, thread pools) on both sides
        ours_fn()
        raw_fn()
    ours, raw = [], []
    for r in range(repeats):  # alternate which side goes first to spread drift evenly
        if r % 2 == 0:
            ours.append(timed(ours_fn))
            raw.append(timed(raw_fn))
        else:
            raw.append(timed(raw_fn))
            ours.append(timed(ours_fn))
    med = lambda xs, i: statistics.median(x[i] for x in xs)  # noqa: E731
    return dict(ours_s=med(ours, 0), raw_s=med(raw, 0), ratio=med(ours, 0) / med(raw, 0),
                ours_cpu_s=med(ours, 1), raw_cpu_s=med(raw, 1), cpu_ratio=med(ours, 1) / med(raw, 1),
                repeats=repeats, ours_all=ours, raw_all=raw)


def report(rows: list[dict], row: dict) -> None:
    rows.append(row)
    print(f"{row['dataset']} {row['model']} {row['task']}: wall {row['ours_s']:.3f}s vs {row['raw_s']:.3f}s "
          f"x{row['ratio']:.3f}; cpu {row['ours_cpu_s']:.3f}s vs {row['raw_cpu_s']:.3f}s x{row['cpu_ratio']:.3f}",
          flush=True)


def bench_dataset(name: str, args) -> list[dict]:
    import implicit.cpu.als as implicit_als
    import implicit.cpu.bpr as implicit_bpr

    train = Interactions.from_lines(load_dataset(name).lines)
    matrix = training_matrix(train, "customers")
    rng = np.random.default_rng(0)
    users = rng.integers(0, train.n_customers, args.queries)
    history = sp.csr_matrix(train.customer_items[users], dtype=np.float32)
    user_q = Queries.from_lists([[] for _ in users], train.n_items, customers=users)
    nonempty = np.flatnonzero(np.diff(train.basket_items.indptr) > 0)
    baskets = rng.choice(nonempty, args.queries, replace=len(nonempty) < args.queries)
    carts = sp.csr_matrix(train.basket_items[baskets], dtype=np.float32)
    cart_q = Queries(np.arange(len(baskets)), carts, np.full(len(baskets), -1))
    t = args.threads
    shape = f"{matrix.shape[0]}x{matrix.shape[1]}, nnz {matrix.nnz}"
    rows = []

    specs = {
        "als": (lambda: ALS(factors=args.factors, iterations=args.als_iterations, regularization=0.01,
                            num_threads=t, seed=0, use_customer=True),
                lambda: implicit_als.AlternatingLeastSquares(factors=args.factors, iterations=args.als_iterations,
                                                             regularization=0.01, num_threads=t,
                                                             random_state=0)),
        "bpr": (lambda: BPR(factors=args.factors, iterations=args.bpr_iterations, num_threads=t, seed=0,
                            use_customer=True),
                lambda: implicit_bpr.BayesianPersonalizedRanking(factors=args.factors,
                                                                  iterations=args.bpr_iterations,
                                                                  num_threads=t, random_state=0)),
    }
    for model_name, (make_ours, make_raw) in specs.items():
        fitted = {}

        def fit_ours():
            fitted["ours"] = make_ours().fit(train)

        def fit_raw():
            with threadpool_limits(1, "blas"):
                m = make_raw()
                m.fit(matrix.copy(), show_progress=False)
            fitted["raw"] = m

        head = dict(dataset=name, matrix=shape, model=model_name)
        report(rows, {**head, "task": "fit", **median_pair(fit_ours, fit_raw, args.fit_repeats, warm_up=False)})

        ours_m, raw_m = fitted["ours"], fitted["raw"]
        # same factors on both sides for the query timings: the raw model is the one just fitted,
        # ours is fitted on the same matrix with the same seed (identical for num_threads=1)

        def users_ours():
            ours_m.recommend(user_q, K, exclude=history)

        def users_raw():
            raw_m.recommend(users, history, N=K, filter_already_liked_items=True)

        report(rows, {**head, "task": f"users x{args.queries}", **median_pair(users_ours, users_raw, args.repeats)})

        def carts_ours():
            ours_m.recommend(cart_q, K)

        if model_name == "als":
            def carts_raw():
                raw_m.recommend(np.arange(len(baskets)), carts, N=K, recalculate_user=True,
                                filter_already_liked_items=True)
        else:
            def carts_raw():
                with threadpool_limits(1, "blas"):
                    folded = make_raw()
                    folded.item_factors = raw_m.item_factors.copy()   # fit keeps given item factors
                    folded.fit(carts.copy(), show_progress=False)     # fresh users: one per cart
                    folded.item_factors = raw_m.item_factors
                    folded.recommend(np.arange(len(baskets)), carts, N=K, filter_already_liked_items=True)

        report(rows, {**head, "task": f"carts x{args.queries}",
                      **median_pair(carts_ours, carts_raw, args.repeats)})
    return rows


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--datasets", nargs="+", default=["online_retail", "complete_journey"])
    p.add_argument("--repeats", type=int, default=5, help="repeats of each recommend timing")
    p.add_argument("--fit-repeats", type=int, default=3, help="repeats of each fit timing")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--queries", type=int, default=10_000)
    p.add_argument("--factors", type=int, default=64)
    p.add_argument("--als-iterations", type=int, default=15)
    p.add_argument("--bpr-iterations", type=int, default=30)
    p.add_argument("--json", default=None)
    args = p.parse_args(argv)
    rows = []
    for name in args.datasets:
        rows += bench_dataset(name, args)
    import implicit

    print(f"\nimplicit {implicit.__version__}, numpy {np.__version__}, python {platform.python_version()}, "
          f"threads={args.threads}, factors={args.factors}, ALS iterations={args.als_iterations}, "
          f"BPR iterations={args.bpr_iterations}")
    print("| dataset | matrix | model | task | ours wall (s) | raw wall (s) | wall ours/raw "
          "| ours CPU (s) | raw CPU (s) | CPU ours/raw | repeats |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['dataset']} | {r['matrix']} | {r['model']} | {r['task']} | {r['ours_s']:.3f} | "
              f"{r['raw_s']:.3f} | {r['ratio']:.2f} | {r['ours_cpu_s']:.3f} | {r['raw_cpu_s']:.3f} | "
              f"{r['cpu_ratio']:.2f} | {r['repeats']} |")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"args": vars(args), "rows": rows}, f, indent=2)


if __name__ == "__main__":
    main()
