"""Scale: data preparation, rule mining, ALS and evaluation at tens of millions of purchase lines,
on one machine (local engine) and on the Spark engine (local mode), side by side.

    python benchmarks/bench_scale.py                              # 30M lines, both engines
    python benchmarks/bench_scale.py --lines 3M 10M 30M --engines local spark --json out.json
    python benchmarks/bench_scale.py --lines 90M --engines local

Input: The Complete Journey scaled with `cs-lab data scale complete_journey --lines N --seed 0`
(resampled households with fresh ids and whole-week date shifts; cs_lab/data/scale.py), written
once per size under --data-dir and reused. Each (engine, size) runs in a fresh subprocess; a
sampler thread reads the RSS of that process and all its children (the JVM, for Spark) every
50 ms, so each step's peak memory is the whole engine's.

Both engines do the same work, the local one with cs_lab's NumPy / numba / implicit code, the
Spark one with cs_lab.spark (which the models' ``engine: spark`` uses) and Spark ML:

  prep   read the canonical Parquet; split at the last 28 days (test); index the training lines:
         item and customer vocabularies, basket item sets, customer x item basket counts
         local: read_scaled + Interactions.from_lines; spark: frames.* cached and counted
  rules  FP-Growth (min_support 0.001, max_len 3) + single-consequent rules (confidence >= 0.05)
         local: models.rules.fpgrowth; spark: spark.fpgrowth.mine_itemsets (Spark ML FPGrowth);
         rules from the itemsets by the same association_rules on both (it takes < 1 s)
  als    implicit ALS on customer x item counts (factors 64, 10 iterations, regularization 0.05,
         alpha 10: configs/models/als.yaml's starting point); local: implicit via cs_lab's ALS,
         all cores; spark: spark.als.fit_als (Spark ML ALS)
  eval   top-10 for every test customer seen in training, against the items they bought in the
         test period: ndcg@10, recall@10, precision@10. local: model.recommend + cs_lab.eval;
         spark: ALSModel.recommendForUserSubset + Spark ML RankingEvaluator

The parent checks that both engines indexed the same data (baskets, items, customers, pairs,
test customers) and mined identical itemsets (count and digest of every itemset with its count).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
TEST_DAYS = 28
MIN_SUPPORT, MAX_LEN, MIN_CONFIDENCE = 0.001, 3, 0.05
ALS_PARAMS = dict(factors=64, iterations=10, regularization=0.05, alpha=10.0)
K = 10
ID_COLUMNS_ONLY = os.environ.get("CS_LAB_SCALE_ALL_COLUMNS") != "1"


def parse_lines(text: str) -> int:
    mult = {"K": 1e3, "M": 1e6, "G": 1e9}
    t = text.strip().upper().replace("_", "")
    return int(float(t[:-1]) * mult[t[-1]]) if t[-1] in mult else int(t)


def label(n: int) -> str:
    return f"{n / 1e6:g}M"


# -- memory sampling ---------------------------------------------------------------------------
class Sampler:
    """Peak RSS (GiB) of this process and all its descendants, sampled every ``every`` seconds."""

    def __init__(self, every: float = 0.05) -> None:
        import psutil

        self._proc = psutil.Process()
        self._every = every
        self._peak = 0.0
        self._lock = threading.Lock()  # reset() must not be overwritten by a sample of the previous step
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _rss(self) -> float:
        total = 0
        procs = [self._proc]
        try:
            procs += self._proc.children(recursive=True)
        except Exception:  # noqa: BLE001 - a child may exit while we look
            pass
        for p in procs:
            try:
                total += p.memory_info().rss
            except Exception:  # noqa: BLE001
                pass
        return total / 2**30

    def _run(self) -> None:
        while not self._stop.is_set():
            self._sample()
            time.sleep(self._every)

    def _sample(self) -> float:
        rss = self._rss()
        with self._lock:
            self._peak = max(self._peak, rss)
            return self._peak

    def reset(self) -> float:
        """Start a new step; returns the RSS now (the step's baseline)."""
        with self._lock:
            self._peak = now = self._rss()
        return now

    def peak(self) -> float:
        return self._sample()

    def stop(self) -> None:
        self._stop.set()


SAVE = None  # the child's JSON path: results are written after every step (a killed child keeps them)


def run_steps(steps, out: dict) -> None:
    """Run (name, fn) steps in order, recording wall/CPU seconds and peak RSS of each."""
    sampler = Sampler()
    for name, fn in steps:
        base = sampler.reset()
        w, c = time.perf_counter(), time.process_time()
        info = fn() or {}
        out["steps"][name] = {"wall_s": time.perf_counter() - w, "cpu_s_python": time.process_time() - c,
                              "rss_start_gib": base, "peak_rss_gib": sampler.peak(), **info}
        s = out["steps"][name]
        print(f"  {name:8s} {s['wall_s']:8.1f}s  peak {s['peak_rss_gib']:.2f} GiB  "
              f"{ {k: v for k, v in info.items() if not isinstance(v, (list, dict))} }", flush=True)
        if SAVE:
            Path(SAVE).write_text(json.dumps(out))
    out["peak_rss_gib"] = max(s["peak_rss_gib"] for s in out["steps"].values())
    sampler.stop()


def itemset_digest(sets) -> str:
    h = hashlib.sha256()
    h.update(np.ascontiguousarray(sets.indptr, dtype=np.int64).tobytes())
    h.update(np.ascontiguousarray(sets.items, dtype=np.int64).tobytes())
    h.update(np.ascontiguousarray(sets.counts, dtype=np.int64).tobytes())
    return h.hexdigest()[:16]


# -- the local engine --------------------------------------------------------------------------
def child_local(path: Path, out: dict) -> None:
    import pandas as pd
    import scipy.sparse as sp

    from cs_lab.data import schema as S
    from cs_lab.data.interactions import Interactions
    from cs_lab.data.queries import Queries
    from cs_lab.data.scale import read_scaled
    from cs_lab.eval import evaluate
    from cs_lab.models.implicit_cf import ALS
    from cs_lab.models.rules.mining import fpgrowth
    from cs_lab.models.rules.rules import association_rules

    st: dict = {}

    def prep():
        # only the columns the steps use, as Spark's Parquet reader prunes to them too
        lines = read_scaled(path, columns=[S.CUSTOMER, S.BASKET, S.ITEM, S.TIMESTAMP] if ID_COLUMNS_ONLY else None)
        cutoff = lines[S.TIMESTAMP].max().normalize() - pd.Timedelta(days=TEST_DAYS - 1)
        is_test = (lines[S.TIMESTAMP] >= cutoff).to_numpy()
        test = lines.loc[is_test, [S.CUSTOMER, S.ITEM]]
        train = Interactions.from_lines(lines.loc[~is_test].reset_index(drop=True))
        del lines
        cust = train.customers.index(test[S.CUSTOMER])
        item = train.items.index(test[S.ITEM])
        ok = (cust >= 0) & (item >= 0)
        users, qrow = np.unique(cust[ok], return_inverse=True)
        truth = sp.csr_matrix((np.ones(int(ok.sum()), np.float32), (qrow, item[ok])),
                              shape=(len(users), train.n_items))
        truth.sum_duplicates()
        truth.data[:] = 1.0
        st.update(train=train, users=users, truth=truth)
        return {"n_lines_train": len(train.lines), "n_baskets": train.n_baskets, "n_items": train.n_items,
                "n_customers": train.n_customers, "n_pairs": int(train.customer_items.nnz),
                "n_test_customers": len(users), "cutoff": str(cutoff.date())}

    def rules():
        sets = fpgrowth(st["train"].basket_items, MIN_SUPPORT, MAX_LEN)
        r = association_rules(sets, MIN_CONFIDENCE, "single")
        return {"n_itemsets": len(sets), "n_rules": len(r.confidence), "digest": itemset_digest(sets)}

    def als():
        st["model"] = ALS(**ALS_PARAMS, train_on="customers", use_customer=True, seed=0).fit(st["train"])
        return {}

    def evaluation():
        train, users = st["train"], st["users"]
        q = Queries(ids=users, carts=sp.csr_matrix((len(users), train.n_items), dtype=np.float32),
                    customers=users.astype(np.int64))
        ids, _ = st["model"].recommend(q, K)
        res = evaluate(ids, st["truth"], ["ndcg", "recall", "precision"], ks=(K,))
        return {m: float(res.summary[m][K]) for m in ("ndcg", "recall", "precision")}

    run_steps([("prep", prep), ("rules", rules), ("als", als), ("eval", evaluation)], out)


# -- the Spark engine --------------------------------------------------------------------------
def child_spark(path: Path, out: dict, driver_memory: str, partitions: int, local_dir: str | None) -> None:
    from cs_lab.data import schema as S
    from cs_lab.models.rules.rules import association_rules
    from cs_lab.spark import SparkSettings
    from cs_lab.spark.als import fit_als
    from cs_lab.spark.fpgrowth import mine_itemsets
    from cs_lab.spark.frames import (basket_sets, count_baskets, customer_item_counts, read_lines,
                                     vocabularies, vocabulary_frame)
    from cs_lab.spark.session import spark_session

    settings = SparkSettings(master="local[2]", driver_memory=driver_memory, shuffle_partitions=partitions,
                             local_dir=local_dir)
    st: dict = {}

    def session():
        st["spark"] = spark_session(settings)
        return {"spark": st["spark"].version, "driver_memory": driver_memory}

    def prep():
        from pyspark.sql import functions as F

        spark = st["spark"]
        lines = read_lines(spark, path)
        cutoff = lines.agg(F.date_sub(F.to_date(F.max(S.TIMESTAMP)), TEST_DAYS - 1).alias("c")).first()["c"]
        train = lines.where(F.col(S.TIMESTAMP) < F.lit(cutoff))
        test = lines.where(F.col(S.TIMESTAMP) >= F.lit(cutoff))
        items, customers = vocabularies(train)
        baskets = basket_sets(train, items, partitions).cache()
        pairs = customer_item_counts(train, items, customers).cache()
        iv = F.broadcast(vocabulary_frame(spark, items, S.ITEM, "item"))
        cv = F.broadcast(vocabulary_frame(spark, customers, S.CUSTOMER, "user"))
        truth = (test.select(F.col(S.CUSTOMER).cast("string").alias(S.CUSTOMER), F.col(S.ITEM).cast("string").alias(S.ITEM))
                 .join(iv, S.ITEM).join(cv, S.CUSTOMER)
                 .groupBy("user").agg(F.collect_set(F.col("item").cast("double")).alias("label")).cache())
        st.update(items=items, customers=customers, baskets=baskets, pairs=pairs, truth=truth)
        n_b = count_baskets(train)
        st["n_baskets"] = n_b
        return {"n_lines_train": train.count(), "n_baskets": n_b, "n_items": len(items),
                "n_customers": len(customers), "n_pairs": pairs.count(),
                "n_basket_sets": baskets.count(), "n_test_customers": truth.count(), "cutoff": str(cutoff)}

    def rules():
        sets = mine_itemsets(st["baskets"], st["n_baskets"], len(st["items"]), MIN_SUPPORT, MAX_LEN, partitions)
        r = association_rules(sets, MIN_CONFIDENCE, "single")
        st["baskets"].unpersist()
        return {"n_itemsets": len(sets), "n_rules": len(r.confidence), "digest": itemset_digest(sets)}

    def als():
        st["fit"] = fit_als(st["pairs"], len(st["customers"]), len(st["items"]), seed=0, partitions=partitions,
                            keep_model=True, **ALS_PARAMS)
        return {"reg_param": st["fit"].reg_param}

    def evaluation():
        from pyspark.ml.evaluation import RankingEvaluator
        from pyspark.sql import functions as F

        truth = st["truth"]
        recs = st["fit"].model.recommendForUserSubset(truth.select("user"), K)
        pred = recs.select("user", F.col("recommendations.item").cast("array<double>").alias("prediction"))
        joined = pred.join(truth, "user").cache()
        res = {}
        for name, metric in (("ndcg", "ndcgAtK"), ("recall", "recallAtK"), ("precision", "precisionAtK")):
            ev = RankingEvaluator(metricName=metric, k=K, predictionCol="prediction", labelCol="label")
            res[name] = float(ev.evaluate(joined))
        res["n_evaluated"] = joined.count()
        return res

    run_steps([("session", session), ("prep", prep), ("rules", rules), ("als", als), ("eval", evaluation)], out)


# -- parent ------------------------------------------------------------------------------------
def ensure_data(n: int, data_dir: Path) -> Path:
    path = data_dir / f"complete_journey_{label(n)}_seed0.parquet"
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        print(f"generating {path} ...", flush=True)
        subprocess.run([str(Path(sys.executable).parent / "cs-lab"), "data", "scale", "complete_journey",
                        "--lines", str(n), "--seed", "0", "--out", str(path)], check=True)
    return path


def run_child(engine: str, n: int, path: Path, args) -> dict:
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as f:
        out_json = f.name
    cmd = [sys.executable, __file__, "--child", engine, "--data", str(path), "--child-json", out_json,
           "--driver-memory", args.driver_memory, "--partitions", str(args.partitions)]
    if args.local_dir:
        cmd += ["--local-dir", args.local_dir]
    print(f"\n--- {engine} at {label(n)} lines", flush=True)
    # Spark ML's ALS calls native BLAS (libblas.so.3) from each task thread: one BLAS thread each
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1"} if engine == "spark" else None
    t0 = time.perf_counter()
    try:
        rc = subprocess.run(cmd, timeout=args.timeout, env=env).returncode
    except subprocess.TimeoutExpired:
        rc = "timeout"
    res = {"engine": engine, "lines": n, "returncode": rc, "total_wall_s": time.perf_counter() - t0}
    try:
        res.update(json.loads(Path(out_json).read_text()))
    except (OSError, ValueError):
        pass
    Path(out_json).unlink(missing_ok=True)
    return res


def check_same(results: list[dict]) -> list[str]:
    notes = []
    keys = ("n_baskets", "n_items", "n_customers", "n_pairs", "n_test_customers", "n_lines_train")
    by_size: dict[int, dict[str, dict]] = {}
    for r in results:
        if r.get("returncode") == 0:
            by_size.setdefault(r["lines"], {})[r["engine"]] = r
    for n, rs in sorted(by_size.items()):
        if {"local", "spark"} <= rs.keys():
            a, b = rs["local"]["steps"], rs["spark"]["steps"]
            diff = [k for k in keys if a["prep"].get(k) != b["prep"].get(k)]
            same_sets = a["rules"]["digest"] == b["rules"]["digest"]
            notes.append(f"{label(n)}: prep {'identical' if not diff else 'DIFFERS in ' + str(diff)}; "
                         f"itemsets {'identical' if same_sets else 'DIFFER'} ({a['rules']['n_itemsets']} vs "
                         f"{b['rules']['n_itemsets']})")
    return notes


def table(results: list[dict]) -> str:
    rows = ["| engine | lines | step | wall s | peak RSS GiB | notes |", "|---|---|---|---|---|---|"]
    for r in results:
        if r.get("returncode") != 0:
            rows.append(f"| {r['engine']} | {label(r['lines'])} | - | - | - | failed: {r.get('returncode')} "
                        f"{r.get('error', '')} |")
            continue
        for name, s in r["steps"].items():
            note = ", ".join(f"{k}={v:.4f}" if isinstance(v, float) else f"{k}={v}" for k, v in s.items()
                             if k not in ("wall_s", "cpu_s_python", "rss_start_gib", "peak_rss_gib", "digest"))
            rows.append(f"| {r['engine']} | {label(r['lines'])} | {name} | {s['wall_s']:.1f} | "
                        f"{s['peak_rss_gib']:.2f} | {note} |")
        rows.append(f"| {r['engine']} | {label(r['lines'])} | **total** | **{r['total_wall_s']:.1f}** | "
                    f"**{r['peak_rss_gib']:.2f}** | process start to exit |")
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--lines", nargs="+", default=["30M"], help="sizes, e.g. 3M 10M 30M")
    ap.add_argument("--engines", nargs="+", default=["local", "spark"], choices=["local", "spark"])
    ap.add_argument("--data-dir", default=os.environ.get("CS_LAB_SCALE_DIR", str(ROOT / ".cache" / "scale")))
    ap.add_argument("--driver-memory", default="16g", help="Spark driver heap (local mode: the whole engine)")
    ap.add_argument("--partitions", type=int, default=8)
    ap.add_argument("--local-dir", default=None, help="Spark scratch folder (shuffle, spills)")
    ap.add_argument("--timeout", type=float, default=3600)
    ap.add_argument("--json", default=None, help="write all results here")
    ap.add_argument("--child", choices=["local", "spark"], help=argparse.SUPPRESS)
    ap.add_argument("--data", help=argparse.SUPPRESS)
    ap.add_argument("--child-json", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)

    if args.child:
        global SAVE
        SAVE = args.child_json
        out = {"steps": {}}
        try:
            if args.child == "local":
                child_local(Path(args.data), out)
            else:
                child_spark(Path(args.data), out, args.driver_memory, args.partitions, args.local_dir)
        except BaseException as exc:  # noqa: BLE001 - recorded for the parent, then re-raised
            out["error"] = f"{type(exc).__name__}: {str(exc)[:300]}"
            Path(args.child_json).write_text(json.dumps(out))
            raise
        Path(args.child_json).write_text(json.dumps(out))
        return 0

    sizes = [parse_lines(s) for s in args.lines]
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    results = []
    for n in sizes:
        path = ensure_data(n, Path(args.data_dir))
        for engine in args.engines:
            results.append(run_child(engine, n, path, args))
            if args.json:
                Path(args.json).write_text(json.dumps(results, indent=1))
    print("\n" + table(results))
    for note in check_same(results):
        print(note)
    return 0 if all(r.get("returncode") == 0 for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
