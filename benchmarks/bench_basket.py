"""Measure the basket-research baselines (TIFU-KNN, UP-CF@r, repeat/explore mixture) against
popularity and personal on the default basket-completion task (docs/models_tifu_knn.md,
docs/models_upcf.md, docs/models_mixture.md quote its output).

Setup: the spec experiments/<dataset>.yaml (default suite: temporal rolling origin, 3 test windows
from the last 20% of baskets, leave-one-out carts, 3,000 test carts per window, seed 0) and its
explore twin experiments/<dataset>_explore.yaml (history excluded). Each model is fitted with its
default config (configs/models/<name>.yaml, or ``--config name=yaml``) on a window's training data
and scored on its test carts; fit and recommend are timed separately (wall clock, 1 process).

    python -m benchmarks.bench_basket --datasets complete_journey,online_retail --windows 2
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
MODELS = ["popularity", "personal", "item_knn", "tifu_knn", "upcf", "repeat_explore"]


def model_params(name: str) -> dict:
    return dict(yaml.safe_load((ROOT / "configs" / "models" / f"{name}.yaml").read_text())["config"])


def run(dataset: str, windows: list[int], models: list[str], overrides: dict[str, dict]) -> None:
    from cs_lab.data.loaders import get_loader
    from cs_lab.experiment.objective import recommend
    from cs_lab.experiment.spec import load_spec
    from cs_lab.experiment.task import prepare_task, window_splits
    from cs_lab.models.base import Recommender

    ds = get_loader(dataset).prepare(progress=False)
    for variant, metric in (("", "ndcg@10"), ("_explore", "ndcg@10.explore")):
        spec = load_spec(ROOT / "experiments" / f"{dataset}{variant}.yaml")
        splits = window_splits(ds.lines, spec)
        for w in windows:
            task = prepare_task(spec, ds, split=splits[w], window=w, n_windows=len(splits))
            ev = task.final.eval
            print(f"{dataset}{variant} window {w}: {len(ev)} test carts, "
                  f"{task.final.train.n_customers} customers, {task.final.train.n_items} items", flush=True)
            for name in models:
                params = {**model_params(name), **overrides.get(name, {})}
                t0 = time.perf_counter()
                model = Recommender.from_params(params).fit(task.final.train)
                t1 = time.perf_counter()
                ids = recommend(model, ev, 10)
                t2 = time.perf_counter()
                res = ev.evaluate(ids, [10])
                vals = {m: float(res.value(m)) for m in ("ndcg@10", "ndcg@10.explore", "ndcg@10.repeat")}
                print(f"  {name:15s} {metric} {vals[metric]:.4f}   (ndcg@10 {vals['ndcg@10']:.4f} "
                      f"repeat {vals['ndcg@10.repeat']:.4f} explore {vals['ndcg@10.explore']:.4f})  "
                      f"fit {t1 - t0:.1f} s, recommend {t2 - t1:.1f} s", flush=True)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--datasets", default="complete_journey,online_retail")
    ap.add_argument("--windows", default="2", help="comma list of window indices (0..2)")
    ap.add_argument("--models", default=",".join(MODELS))
    ap.add_argument("--config", action="append", default=[], help="name=yaml-mapping of overrides")
    a = ap.parse_args(argv)
    overrides = {}
    for c in a.config:
        name, _, text = c.partition("=")
        overrides[name] = yaml.safe_load(text)
    for d in a.datasets.split(","):
        run(d, [int(w) for w in a.windows.split(",")], a.models.split(","), overrides)


if __name__ == "__main__":
    main()
