"""Quality bars on real data (issue "Tests that bite", item 5): each model family's test ndcg@10 and
hit_rate@10 (seed 0, default config) must sit inside the band recorded from a reviewed multi-seed
run in quality_bands.json (derivation: benchmarks/quality_bands.py, docs/testing.md "Quality bands
on real data"). A band is wide enough for seed noise and narrow enough to catch a broken model."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchmarks.quality_bands import METRICS, fit_score, model_params, spec_for

pytestmark = pytest.mark.integration

BANDS = json.loads((Path(__file__).with_name("quality_bands.json")).read_text())["bands"]
# Complete Journey: models kept in CI (see docs/testing.md for the runtime budget)
CJ_MODELS = None  # None = every recorded model
CASES = [(ds, m) for ds, models in BANDS.items() for m in models
         if ds != "complete_journey" or CJ_MODELS is None or m in CJ_MODELS]


@pytest.fixture(scope="module")
def tasks(real_dataset):
    from cs_lab.experiment.task import prepare_task

    cache = {}

    def get(ds: str):
        if ds not in cache:
            cache[ds] = prepare_task(spec_for(ds), real_dataset(ds))
        return cache[ds]

    return get


@pytest.mark.parametrize(("dataset", "model"), CASES, ids=[f"{d}-{m}" for d, m in CASES])
def test_quality_band(tasks, dataset, model):
    rec = BANDS[dataset][model]
    got = fit_score(tasks(dataset), model_params(dataset, model), 0 if rec["stochastic"] else None)
    out = []
    for metric in METRICS:
        lo, hi = rec["metrics"][metric]["band"]
        if not lo <= got[metric] <= hi:
            out.append(f"{metric} = {got[metric]:.4f} outside band [{lo:.4f}, {hi:.4f}] "
                       f"(reviewed mean {rec['metrics'][metric]['mean']:.4f})")
    assert not out, f"{dataset} / {model}: " + "; ".join(out)
