"""The shipped config (configs/models/bundle.yaml) is the class default, its search space names real
parameters, suggests valid configs, and never tunes the business settings."""

from pathlib import Path

import optuna
import yaml

from cs_lab.models import registry
from cs_lab.models.base import Recommender
from cs_lab.tuning.space import SearchSpace

ROOT = Path(__file__).resolve().parents[3]


def test_shipped_config_and_search_space():
    spec = yaml.safe_load((ROOT / "configs" / "models" / "bundle.yaml").read_text())
    model = registry.build(spec["config"])
    assert model.get_params() == type(model)().get_params()
    space = SearchSpace.from_dict(spec["search"])
    params = model.get_params()
    space.check_against(params, "configs/models/bundle.yaml")
    assert not {"discount", "margin_floor", "price_cap", "unknown_cost"} & set(spec["search"])
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    for _ in range(20):
        trial = study.ask()
        Recommender.from_params({**params, **space.suggest(trial)})
        study.tell(trial, 0.0)
