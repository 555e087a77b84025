import pytest
import yaml

from cs_lab.errors import ConfigError
from cs_lab.experiment.spec import load_spec


def write(tmp_path, name, obj):
    p = tmp_path / name
    p.write_text(yaml.safe_dump(obj, sort_keys=False))
    return p


BASE = {"name": "t", "dataset": "groceries", "models": [{"name": "pop", "config": {"model": "popularity"}}]}


def test_minimal_spec_defaults(tmp_path):
    spec = load_spec(write(tmp_path, "s.yaml", BASE))
    assert spec.metrics.ks == [5, 10, 20] and spec.tuning.trials == 10 and spec.split.kind == "temporal"


def test_include_with_override(tmp_path):
    (tmp_path / "pieces").mkdir()
    write(tmp_path / "pieces", "als.yaml", {"config": {"model": "als", "factors": 32},
                                            "search": {"factors": {"type": "int", "low": 8, "high": 64}}})
    write(tmp_path / "pieces", "task.yaml", {"mode": "fraction", "fraction": 0.3})
    spec = load_spec(write(tmp_path, "s.yaml", {**BASE, "task": {"include": "pieces/task.yaml", "seed": 4},
                                                 "models": [{"name": "als", "include": "pieces/als.yaml",
                                                             "config": {"factors": 16}}]}))
    assert spec.task.mode == "fraction" and spec.task.seed == 4
    assert spec.models[0].config == {"model": "als", "factors": 16}
    assert "factors" in spec.models[0].search


def test_include_from_repo_configs(tmp_path):
    spec = load_spec(write(tmp_path, "s.yaml", {**BASE, "models": [{"name": "als", "include": "models/als.yaml"}]}))
    assert spec.models[0].config["model"] == "als"


@pytest.mark.parametrize("mutate, message", [
    (lambda s: s.update(splitt={}), r"s.yaml: splitt: Extra inputs"),
    (lambda s: s.update(task={"max_queries": "many"}), r"task.max_queries"),
    (lambda s: s["models"][0]["config"].update(factors=3), r"models\[pop\].config.factors"),
    (lambda s: s["models"][0]["config"].update(model="nope"), r"unknown model 'nope'"),
    (lambda s: s["models"][0].update(search={"factors": {"type": "int", "low": 1, "high": 4}}),
     r"models\[pop\].search.*factors"),
    (lambda s: s["models"][0].update(search={"by": {"type": "integer", "low": 1}}), r"models\[pop\].search"),
    (lambda s: s.update(models=[s["models"][0], s["models"][0]]), r"unique"),
])
def test_errors_name_key_and_file(tmp_path, mutate, message):
    spec = yaml.safe_load(yaml.safe_dump(BASE))
    mutate(spec)
    with pytest.raises(ConfigError, match=message):
        load_spec(write(tmp_path, "s.yaml", spec))


def test_missing_include_and_cycle(tmp_path):
    with pytest.raises(ConfigError, match="include 'nope.yaml' not found"):
        load_spec(write(tmp_path, "s.yaml", {**BASE, "task": {"include": "nope.yaml"}}))
    write(tmp_path, "a.yaml", {"include": "b.yaml"})
    write(tmp_path, "b.yaml", {"include": "a.yaml"})
    with pytest.raises(ConfigError, match="cycle"):
        load_spec(write(tmp_path, "s.yaml", {**BASE, "task": {"include": "a.yaml"}}))


def test_repo_experiment_specs_validate():
    from pathlib import Path

    specs = sorted((Path(__file__).resolve().parents[2] / "experiments").glob("*.yaml"))
    assert specs, "experiments/ holds the default suite"
    for p in specs:
        load_spec(p)
