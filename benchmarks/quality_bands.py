"""Derive the quality bands of tests/integration/test_quality_bands.py.

For each real dataset and each model family with its default config (configs/models/*.yaml,
business_rules with configs/rules/<dataset>.yaml), fit on one temporal window (last 20% of baskets
= test; 1500 test carts, task seed 0) with seeds 0..N-1 (deterministic models once) and record
ndcg@10 and hit_rate@10 on the test carts. Writes tests/integration/quality_bands.json with, per
(dataset, model) and metric: the per-seed values, mean, sd, min, max and

    band = [min - m, max + m],  m = max(3 * sd, 0.10 * mean)

Run (a few minutes on 2 cores):

    CS_LAB_OFFLINE=1 python -m benchmarks.quality_bands                 # all datasets / models
    python -m benchmarks.quality_bands --datasets online_retail --models als,bpr   # a part (merged)
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "tests" / "integration" / "quality_bands.json"
DATASETS = ["online_retail", "complete_journey"]
MODELS = ["popularity", "personal", "item_knn", "rules", "business_rules", "als", "bpr", "lightfm", "hybrid"]
METRICS = ["ndcg@10", "hit_rate@10"]
SEEDS = 5
SLOW_SEEDS = {("complete_journey", "bpr"): 3, ("complete_journey", "lightfm"): 3}  # time-box
SD_FACTOR, REL_MARGIN = 3.0, 0.10


def spec_for(dataset: str):
    from cs_lab.experiment.spec import ExperimentSpec

    return ExperimentSpec.model_validate({
        "name": f"quality_bands_{dataset}", "dataset": dataset,
        "split": {"test_fraction": 0.2},
        "task": {"max_queries": 1500, "max_validation_queries": 200, "seed": 0},
        "models": [{"name": "popularity", "config": {"model": "popularity"}}],
    })


def model_params(dataset: str, model: str) -> dict:
    """The default config of a model family (flat dotted keys accepted by Recommender.from_params)."""
    if model == "business_rules":
        return {"model": "business_rules", "pack": str(ROOT / "configs" / "rules" / f"{dataset}.yaml")}
    return dict(yaml.safe_load((ROOT / "configs" / "models" / f"{model}.yaml").read_text())["config"])


def is_stochastic(params: dict) -> bool:
    from cs_lab.models.base import Recommender

    return type(Recommender.from_params(params)).stochastic


def fit_score(task, params: dict, seed: int | None) -> dict[str, float]:
    """Fit on task.final.train (with ``seed`` when given) and score the test carts."""
    from cs_lab.experiment.objective import recommend
    from cs_lab.models.base import Recommender

    p = dict(params) if seed is None else {**params, "seed": seed}
    model = Recommender.from_params(p).fit(task.final.train)
    ev = task.final.eval
    res = ev.evaluate(recommend(model, ev, 10), [10])
    return {m: float(res.value(m)) for m in METRICS}


def band(values: list[float]) -> dict:
    mean = statistics.fmean(values)
    sd = statistics.stdev(values) if len(values) > 1 else 0.0
    margin = max(SD_FACTOR * sd, REL_MARGIN * mean)
    return {"values": [round(v, 6) for v in values], "mean": round(mean, 6), "sd": round(sd, 6),
            "min": round(min(values), 6), "max": round(max(values), 6),
            "band": [round(max(0.0, min(values) - margin), 6), round(min(1.0, max(values) + margin), 6)]}


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--datasets", default=",".join(DATASETS))
    ap.add_argument("--models", default=",".join(MODELS))
    ap.add_argument("--seeds", type=int, default=SEEDS)
    ap.add_argument("--out", type=Path, default=OUT)
    a = ap.parse_args(argv)

    from cs_lab.data.loaders import get_loader
    from cs_lab.experiment.task import prepare_task

    out = json.loads(a.out.read_text()) if a.out.exists() else {}
    out.setdefault("rule", f"band = [min - m, max + m], m = max({SD_FACTOR:g} * sd, {REL_MARGIN:g} * mean)")
    out.setdefault("setup", "temporal split test_fraction 0.2; task max_queries 1500, max_validation_queries 200, "
                            "seed 0; default configs from configs/models/*.yaml; metrics on test carts")
    out.setdefault("bands", {})
    for ds in a.datasets.split(","):
        task = prepare_task(spec_for(ds), get_loader(ds).prepare(progress=False))
        print(f"{ds}: {len(task.final.eval)} test carts", flush=True)
        for m in a.models.split(","):
            params = model_params(ds, m)
            stoch = is_stochastic(params)
            seeds = list(range(min(a.seeds, SLOW_SEEDS.get((ds, m), a.seeds)))) if stoch else [None]
            runs, t0 = [], time.perf_counter()
            for s in seeds:
                runs.append(fit_score(task, params, s))
            secs = (time.perf_counter() - t0) / len(seeds)
            entry = {"config": params if m != "business_rules" else {**params, "pack": f"configs/rules/{ds}.yaml"},
                     "stochastic": stoch, "seeds": [s for s in seeds if s is not None],
                     "fit_eval_seconds": round(secs, 1),
                     "metrics": {k: band([r[k] for r in runs]) for k in METRICS}}
            out["bands"].setdefault(ds, {})[m] = entry
            print(f"  {m:15s} " + "  ".join(f"{k} {entry['metrics'][k]['mean']:.4f} band {entry['metrics'][k]['band']}"
                                           for k in METRICS) + f"  ({secs:.1f} s/fit, {len(seeds)} fit(s))", flush=True)
            a.out.write_text(json.dumps(out, indent=1, sort_keys=False) + "\n")


if __name__ == "__main__":
    main()
