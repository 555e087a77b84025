"""Optuna histories and importances rebuilt from trials.csv."""

import numpy as np
import pandas as pd

from cs_lab.report import tuning


def test_studies_of_the_tiny_experiment(client, runs):
    studies = tuning.studies(client, runs)
    assert list(studies) == ["als"]  # the only tuned model
    t = studies["als"]
    assert list(t["number"]) == [0, 1]
    assert {"state", "value", "factors", "regularization"} <= set(t.columns)
    assert t["value"].notna().all()
    assert tuning.importances(t, runs.search_space("als")) is None  # 2 trials < 3


def _trials(n=24, seed=0):
    rng = np.random.default_rng(seed)
    factors = rng.integers(4, 65, n)
    reg = 10 ** rng.uniform(-3, 0, n)
    loss = rng.choice(["bpr", "warp"], n)
    value = factors / 64 + rng.normal(0, 0.01, n)  # only factors matters
    return pd.DataFrame({"number": np.arange(n), "value_ndcg@10": value, "state": "COMPLETE",
                         "params_factors": factors, "params_regularization": reg, "params_loss": loss})


SEARCH = {"factors": {"type": "int", "low": 4, "high": 64},
          "regularization": {"type": "float", "low": 0.001, "high": 1.0, "log": True},
          "loss": {"type": "categorical", "choices": ["bpr", "warp"]}}


def test_trials_frame_normalises_columns():
    t = tuning.trials_frame(_trials().iloc[::-1], "ndcg@10")
    assert list(t.columns) == ["number", "state", "value", "factors", "regularization", "loss"]
    assert t["number"].is_monotonic_increasing


def test_importances_find_the_parameter_that_matters():
    frame = tuning.trials_frame(_trials(), "ndcg@10")
    frame.loc[frame.index[-3:], "state"] = "PRUNED"  # left out
    imp = tuning.importances(frame, SEARCH, maximize=True)
    assert set(imp.index) == set(SEARCH)
    assert imp.index[0] == "factors"
    assert abs(imp.sum() - 1.0) < 1e-9


def test_importances_need_parameters_and_trials():
    frame = tuning.trials_frame(_trials(), "ndcg@10")
    assert tuning.importances(frame, {}) is None
    assert tuning.importances(frame.head(2), SEARCH) is None


def test_trials_frame_of_a_multi_objective_study():
    raw = _trials().rename(columns={"value_ndcg@10": "values_ndcg@10"}).assign(**{"values_coverage@10": 0.5})
    assert tuning.trials_frame(raw, "ndcg@10")["value"].equals(raw["values_ndcg@10"].rename("value"))
    assert tuning.trials_frame(raw, "recall@10")["value"].notna().all()  # first objective column


def test_tuning_objective(runs):
    assert runs.tuning_objective == runs.objective  # the tiny spec sets no tuning.objectives
