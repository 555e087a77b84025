"""The shipped configs of the basket baselines (configs/models/*.yaml) build, and their search spaces
name only real parameters and suggest valid configs (checked with a fixed-seed Optuna sampler)."""

from pathlib import Path

import optuna
import pytest
import yaml

from cs_lab.models import registry
from cs_lab.models.base import Recommender
from cs_lab.tuning.space import SearchSpace

ROOT = Path(__file__).resolve().parents[3]


@pytest.mark.parametrize("name", ["tifu_knn", "upcf", "repeat_explore"])
def test_shipped_config_and_search_space_are_valid(name):
    spec = yaml.safe_load((ROOT / "configs" / "models" / f"{name}.yaml").read_text())
    model = registry.build(spec["config"])
    assert model.name == name
    # the shipped config is the class default (the first, enqueued trial is the documented default)
    assert model.get_params() == type(model)().get_params()
    space = SearchSpace.from_dict(spec["search"])
    params = model.get_params()
    space.check_against(params, f"configs/models/{name}.yaml")
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    for _ in range(20):
        trial = study.ask()
        Recommender.from_params({**params, **space.suggest(trial)})   # validates every suggestion
        study.tell(trial, 0.0)
