"""Stage 6: one model's scores -- on every window's validation carts (fitted on that window's tuning
period) and on every window's test carts (refitted on the whole training period, once per seed)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from cs_lab.eval import EvalResult
from cs_lab.experiment.objective import model_offers
from cs_lab.experiment.stages.context import RunContext
from cs_lab.experiment.stages.fit import fit, n_seeds, seeded
from cs_lab.experiment.stages.prepare import Windows
from cs_lab.experiment.stages.recommend import recommend


@dataclass
class WindowScores:
    valid: EvalResult
    test: list[EvalResult]            # one per seed
    test_ids: list[np.ndarray]        # (n_test_carts, max K) per seed, training vocabulary
    clusters: np.ndarray              # customer of each test cart (cluster bootstrap)
    valid_clusters: np.ndarray
    fit_seconds: float = 0.0
    cached: bool = True


@dataclass
class ModelScores:
    name: str
    kind: str
    params: dict
    windows: list[WindowScores] = field(default_factory=list)
    n_trials: int = 0
    run_id: str = ""
    model_id: str | None = None       # the MLflow logged model of the refit (when models are logged)

    @property
    def seeds(self) -> int:
        return len(self.windows[0].test)

    @property
    def cached(self) -> bool:
        return all(w.cached for w in self.windows)

    def valid_values(self, name: str) -> np.ndarray:
        """The metric on each window's validation carts."""
        return np.array([w.valid.value(name) for w in self.windows])

    def test_values(self, name: str) -> np.ndarray:
        """The metric on each window's test carts, averaged over seeds."""
        return np.array([np.mean([r.value(name) for r in w.test]) for w in self.windows])

    def test_seed_values(self, name: str) -> np.ndarray:
        """(windows, seeds) array of the test metric."""
        return np.array([[r.value(name) for r in w.test] for w in self.windows])

    def per_query(self, which: str = "test") -> tuple[pd.DataFrame, np.ndarray]:
        """Per-query values stacked over windows (test: averaged over seeds), index 'w<i>:<query>', and
        the customer cluster of each row."""
        frames, clusters = [], []
        for i, w in enumerate(self.windows):
            if which == "test":
                f = w.test[0].per_query if len(w.test) == 1 else \
                    pd.concat([r.per_query for r in w.test]).groupby(level=0, sort=False).mean()
                f = f.reindex(w.test[0].per_query.index)
                clusters.append(w.clusters)
            else:
                f = w.valid.per_query
                clusters.append(w.valid_clusters)
            frames.append(f.set_axis(pd.Index([f"w{i}:{q}" for q in f.index], name="query")))
        return pd.concat(frames), np.concatenate(clusters)

    # -- the latest window's first seed, for callers that want one evaluation ------------------
    @property
    def result(self) -> EvalResult:
        return self.windows[-1].test[0]

    @property
    def ids(self) -> np.ndarray:
        return self.windows[-1].test_ids[0]


def score_model(ctx: RunContext, name: str, params: dict, windows: Windows) -> ModelScores:
    spec = ctx.spec
    ks, k = spec.metrics.ks, max(spec.metrics.ks)
    out = ModelScores(name, str(params["model"]), params)
    for task in windows:
        t0 = time.perf_counter()
        v = fit(ctx, name, params, task.tuning.train, task.inner.fingerprint)
        ev = task.tuning.eval
        ids = recommend(v, ev, k)
        valid = ev.evaluate(ids, ks, offers=model_offers(v.model, ev, ids))
        seconds, cached = v.seconds, v.cached
        tests, ids_all = [], []
        ev = task.final.eval
        for s in range(n_seeds(params, spec.seeds)):
            f = fit(ctx, name, seeded(params, s), task.final.train, task.split.fingerprint)
            ids = recommend(f, ev, k)
            tests.append(ev.evaluate(ids, ks, offers=model_offers(f.model, ev, ids)))
            ids_all.append(ids)
            seconds, cached = seconds + f.seconds, cached and f.cached
        out.windows.append(WindowScores(valid, tests, ids_all, ev.clusters, task.tuning.eval.clusters,
                                        seconds, cached))
        ctx.say(f"    {task.label}: valid {spec.metrics.objective}={valid.value(spec.metrics.objective):.4f}  "
                f"test={np.mean([r.value(spec.metrics.objective) for r in tests]):.4f}"
                f"{f' (mean of {len(tests)} seeds)' if len(tests) > 1 else ''}  "
                f"({'cached' if cached else f'fits {seconds:.1f}s'}, {time.perf_counter() - t0:.1f}s)")
    return out

