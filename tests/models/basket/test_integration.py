"""Integration: on Online Retail and The Complete Journey, TIFU-KNN, UP-CF@r and the repeat/explore
mixture (default configs of configs/models/) beat popularity on ndcg@10 in basket completion (one
temporal window, last 20% of baskets, 1,500 leave-one-out test carts, seed 0). Skips when a raw file
is absent."""

from pathlib import Path

import pytest
import yaml

pytestmark = [pytest.mark.integration, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[3]
MODELS = ["tifu_knn", "upcf", "repeat_explore"]


def _ndcg(task, params: dict) -> float:
    from cs_lab.experiment.objective import recommend
    from cs_lab.models.base import Recommender

    model = Recommender.from_params(params).fit(task.final.train)
    ev = task.final.eval
    return float(ev.evaluate(recommend(model, ev, 10), [10]).value("ndcg@10"))


@pytest.mark.parametrize("dataset", ["online_retail", "complete_journey"])
def test_basket_baselines_beat_popularity(real_dataset, dataset):
    from cs_lab.experiment.spec import ExperimentSpec
    from cs_lab.experiment.task import prepare_task

    ds = real_dataset(dataset)
    spec = ExperimentSpec.model_validate({
        "name": f"basket_{dataset}", "dataset": dataset, "split": {"test_fraction": 0.2},
        "task": {"max_queries": 1500, "max_validation_queries": 200, "seed": 0},
        "models": [{"name": "popularity", "config": {"model": "popularity"}}]})
    task = prepare_task(spec, ds)
    pop = _ndcg(task, {"model": "popularity"})
    for name in MODELS:
        params = yaml.safe_load((ROOT / "configs" / "models" / f"{name}.yaml").read_text())["config"]
        value = _ndcg(task, params)
        assert value > pop, f"{dataset} / {name}: ndcg@10 {value:.4f} <= popularity {pop:.4f}"
