import optuna
import pytest
from pydantic import ValidationError

from cs_lab.errors import ConfigError
from cs_lab.tuning import SearchSpace


def test_suggestions_in_range_and_seeded():
    space = SearchSpace.from_dict({
        "factors": {"type": "int", "low": 8, "high": 64, "log": True},
        "reg": {"type": "float", "low": 1e-4, "high": 1.0, "log": True},
        "loss": {"type": "categorical", "choices": ["warp", "bpr"]},
        "inner.k": {"type": "int", "low": 10, "high": 50, "step": 10},
    })
    seen = []
    for seed in (1, 1, 2):
        study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=seed))
        trial = study.ask()
        seen.append(space.suggest(trial))
    assert seen[0] == seen[1] and seen[0] != seen[2]
    v = seen[0]
    assert 8 <= v["factors"] <= 64 and 1e-4 <= v["reg"] <= 1 and v["loss"] in ("warp", "bpr")
    assert v["inner.k"] in (10, 20, 30, 40, 50)


@pytest.mark.parametrize("bad", [
    {"x": {"type": "int", "low": 5, "high": 1}},
    {"x": {"type": "float", "low": 0, "high": 1, "log": True}},
    {"x": {"type": "categorical", "choices": []}},
    {"x": {"type": "int", "low": 1, "high": 5, "colour": "red"}},
])
def test_invalid_dimensions(bad):
    with pytest.raises(ValidationError):
        SearchSpace.from_dict(bad)


def test_check_against_model_params():
    space = SearchSpace.from_dict({"factorz": {"type": "int", "low": 1, "high": 4}})
    with pytest.raises(ConfigError, match="factorz"):
        space.check_against({"model": "als", "factors": 8}, "spec.yaml: models[als].search")


def test_default_point_is_the_models_defaults_moved_into_the_space_only_when_outside():
    space = SearchSpace.from_dict({
        "factors": {"type": "int", "low": 16, "high": 102, "step": 8},
        "item_alpha": {"type": "float", "low": 1e-7, "high": 1e-3, "log": True},
        "learning_rate": {"type": "float", "low": 0.01, "high": 0.1, "log": True},
        "loss": {"type": "categorical", "choices": ["warp", "bpr"]}})
    params = {"factors": 64, "item_alpha": 0.0, "learning_rate": 0.05, "loss": "bpr", "epochs": 5}
    point, moved = space.default_point(params, "spec.yaml: models[m].search")
    assert point == {"factors": 64, "item_alpha": 1e-7, "learning_rate": 0.05, "loss": "bpr"}
    assert moved == {"item_alpha": (0.0, 1e-7)}
    # off the step grid -> nearest grid value; above the top -> the highest grid value (16 + 10*8 = 96)
    assert space.default_point({**params, "factors": 30}, "x")[0]["factors"] == 32
    assert space.default_point({**params, "factors": 500}, "x")[0]["factors"] == 96
    with pytest.raises(ConfigError, match=r"models\[m\]\.search\.loss.*'logistic'.*choices"):
        space.default_point({**params, "loss": "logistic"}, "spec.yaml: models[m].search")
