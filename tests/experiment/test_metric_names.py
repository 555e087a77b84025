"""Metric names in specs: parsing, direction, and the config errors for names nothing computes."""

import pytest
import yaml

from cs_lab.errors import ConfigError
from cs_lab.experiment.metric_names import MetricName, check_metric_names, direction, parse_metric_name
from cs_lab.experiment.spec import load_spec


def test_parse_parts():
    assert parse_metric_name("ndcg@10") == MetricName("ndcg", 10, "")
    assert parse_metric_name("hit_rate@5.explore") == MetricName("hit_rate", 5, "explore")
    assert str(parse_metric_name("ndcg@10.repeat")) == "ndcg@10.repeat"


@pytest.mark.parametrize("bad", ["ndcg", "ndcg@x", "ndcg@10.new", "ndcg@0", "a@1@2"])
def test_parse_rejects(bad):
    with pytest.raises(ConfigError):
        parse_metric_name(bad)


def test_direction():
    assert direction("ndcg@10.explore") == "maximize"
    assert direction("popularity_bias@10") == "minimize"


@pytest.mark.parametrize("name, says", [
    ("foo@10", "unknown metric 'foo'"),
    ("ndcg@7", "cut-off 7 is not in metrics.ks"),
    ("coverage@10", "global metric"),
    ("repeat_share@10.explore", "no repeat / explore part"),
])
def test_check_names(name, says):
    with pytest.raises(ConfigError, match=says.replace("(", r"\(").replace(")", r"\)")):
        check_metric_names([name], [5, 10], "spec.yaml: metrics.objective")


BASE = {"name": "t", "dataset": "groceries", "models": [{"name": "pop", "config": {"model": "popularity"}}]}


@pytest.mark.parametrize("patch, key", [
    ({"metrics": {"objective": "foo@10"}}, "metrics.objective"),
    ({"metrics": {"objective": "ndcg@7"}}, "metrics.objective"),
    ({"comparison": {"metrics": ["foo@10"]}}, "comparison.metrics"),
    ({"tuning": {"objectives": ["ndcg@10", "map@3"]}}, "tuning.objectives"),
    ({"comparison": {"baselines": ["nosuch"]}}, "comparison.baselines"),
])
def test_unknown_objective_is_a_config_error_before_any_work(tmp_path, patch, key):
    p = tmp_path / "s.yaml"
    p.write_text(yaml.safe_dump({**BASE, **patch}))
    with pytest.raises(ConfigError) as e:
        load_spec(p)
    assert str(p) in str(e.value) and key in str(e.value)


def test_explore_objective_accepted(tmp_path):
    p = tmp_path / "s.yaml"
    p.write_text(yaml.safe_dump({**BASE, "task": {"exclude": ["cart", "history"]},
                                 "metrics": {"objective": "ndcg@10.explore"}}))
    spec = load_spec(p)
    assert spec.task.explore and spec.metrics.objective == "ndcg@10.explore"
