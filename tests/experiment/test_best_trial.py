"""Tuning keeps the best validation trial: ``direction`` of each metric and ``best_params`` on real
in-memory Optuna studies, for a maximised and a minimised objective and for a Pareto front."""

from __future__ import annotations

import optuna
import pytest

from cs_lab.experiment.objective import direction
from cs_lab.experiment.study import best_params, open_study

optuna.logging.set_verbosity(optuna.logging.WARNING)

# validation value of each candidate; the best differs for max and min
VALID = {"a": 0.31, "b": 0.47, "c": 0.12, "d": 0.29}


@pytest.mark.parametrize("metric,expected", [
    ("ndcg@10", "maximize"), ("hit_rate@5", "maximize"), ("recall@20", "maximize"),
    ("coverage@10", "maximize"), ("revenue@10", "maximize"), ("popularity_bias@10", "minimize"),
])
def test_direction_of_each_metric(metric, expected):
    assert direction(metric) == expected


def _study(directions, values_of):
    study = open_study("t", None, directions, seed=0, prune=False)   # storage None: in memory
    for name in VALID:
        study.enqueue_trial({"name": name})
    study.optimize(lambda t: values_of(t.suggest_categorical("name", list(VALID))), n_trials=len(VALID))
    return study


@pytest.mark.parametrize("metric,best", [("ndcg@10", "b"), ("popularity_bias@10", "c")])
def test_single_objective_keeps_the_best_validation_trial(metric, best):
    study = _study([direction(metric)], lambda n: VALID[n])
    assert best_params(study) == {"name": best}


# (first, second) values: three trials on the Pareto front (a trade-off) and one dominated trial
MAX_MIN = {"a": (0.40, 0.30), "b": (0.50, 0.60), "c": (0.20, 0.10), "d": (0.30, 0.35)}
MIN_MAX = {"a": (0.40, 0.60), "b": (0.20, 0.30), "c": (0.10, 0.20), "d": (0.45, 0.50)}


@pytest.mark.parametrize("metrics,values,best", [
    (["ndcg@10", "popularity_bias@10"], MAX_MIN, "b"),   # maximise first: the front's largest first value
    (["popularity_bias@10", "ndcg@10"], MIN_MAX, "c"),   # minimise first: the front's smallest first value
])
def test_pareto_choice_is_best_on_the_first_objective(metrics, values, best):
    dirs = [direction(m) for m in metrics]
    study = _study(dirs, lambda n: values[n])
    assert {t.params["name"] for t in study.best_trials} == {"a", "b", "c"}
    assert best_params(study) == {"name": best}
