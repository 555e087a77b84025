"""The objective's iteration hook (cs_lab.experiment.objective): intermediate values on the first
prune_queries carts, logged as steps, pruning only when asked and never at the last iteration."""

from types import SimpleNamespace

import optuna
import pytest

from cs_lab.experiment import objective as objective_module
from cs_lab.experiment.objective import CURVE, Objective
from cs_lab.tracking import MemoryTracker


class FakeTrial:
    def __init__(self, prune: bool) -> None:
        self.reported, self._prune = [], prune

    def report(self, value, step):
        self.reported.append((step, value))

    def should_prune(self):
        return self._prune


def hook(monkeypatch, prune: bool, trial_prunes: bool, iterations: int, prune_queries=None, n_eval=50):
    rows_seen = []

    def fake_evaluate(model, ev, ks, rows=None, ids=None):
        rows_seen.append(rows)
        return model

    monkeypatch.setattr(objective_module, "evaluate_model", fake_evaluate)
    monkeypatch.setattr(objective_module, "metric_value", lambda model, name: float(model))
    tracker = MemoryTracker()
    run = tracker.start_run("trial-0")
    obj = Objective(base_params={}, space=None, stage=SimpleNamespace(eval=[0] * n_eval), objectives=["ndcg@10"],
                    ks=[10], tracker=tracker, parent_run="p", prune=prune, prune_queries=prune_queries)
    trial = FakeTrial(trial_prunes)
    return obj._pruning_callback(trial, {"iterations": iterations}, run), trial, tracker.runs[run], rows_seen


def test_values_are_logged_as_steps_and_pruning_waits_for_the_pruner(monkeypatch):
    on_iteration, trial, run, rows = hook(monkeypatch, prune=True, trial_prunes=False, iterations=10,
                                          prune_queries=20)
    for i in range(10):
        on_iteration(i, i / 10)
    steps = [1, 3, 5, 7, 9]                               # 5 evenly spaced points
    assert [s for s, _ in trial.reported] == steps
    assert run["history"][CURVE.replace("@", "_at_") + "ndcg_at_10"] == [(s, s / 10) for s in steps]
    assert rows == [slice(0, 20)] * 5                     # the first prune_queries carts


def test_pruned_when_the_pruner_says_so_but_never_at_the_last_iteration(monkeypatch):
    on_iteration, trial, _, rows = hook(monkeypatch, prune=True, trial_prunes=True, iterations=4)
    with pytest.raises(optuna.TrialPruned):
        on_iteration(0, 0.1)
    on_iteration, trial, _, rows = hook(monkeypatch, prune=True, trial_prunes=True, iterations=1,
                                        prune_queries=20)
    on_iteration(0, 0.1)                                  # the only (last) iteration: not pruned
    assert trial.reported == [(0, 0.1)] and rows == [slice(0, 20)]


def test_the_last_step_is_left_to_the_trials_own_evaluation_when_the_pruning_carts_are_all(monkeypatch):
    """prune_queries None (or >= the validation carts): the last iteration's value would be the
    trial's own evaluation, so the hook neither wants nor scores it; it says which step it left."""
    on_iteration, trial, _, rows = hook(monkeypatch, prune=True, trial_prunes=False, iterations=10)
    assert [i for i in range(10) if on_iteration.wants(i)] == [1, 3, 5, 7]
    for i in range(10):
        on_iteration(i, i / 10)
    assert [s for s, _ in trial.reported] == [1, 3, 5, 7] and on_iteration.last_step == 9
    assert rows == [slice(0, 50)] * 4
    on_iteration, trial, _, _ = hook(monkeypatch, prune=True, trial_prunes=False, iterations=10, prune_queries=20)
    assert on_iteration.last_step is None and on_iteration.wants(9)


def test_a_completed_trial_scores_its_last_step_once_and_reports_it(monkeypatch):
    """The whole objective on a model reporting at every iteration: 3 intermediate evaluations on
    the hook's side plus the trial's own one, whose value becomes the last curve step."""
    calls = []

    def fake_evaluate(model, ev, ks, rows=None, ids=None):
        calls.append(rows)
        return model.value

    monkeypatch.setattr(objective_module, "evaluate_model", fake_evaluate)
    monkeypatch.setattr(objective_module, "metric_value", lambda result, name: result)

    class Model:
        value = 0.0

        def fit(self, train, on_iteration=None):
            for i in range(5):
                self.value = i / 10
                if on_iteration.wants(i):
                    on_iteration(i, self)

    monkeypatch.setattr(objective_module.Recommender, "from_params", staticmethod(lambda params: Model()))
    tracker = MemoryTracker()
    obj = Objective(base_params={"iterations": 5}, space=SimpleNamespace(suggest=lambda trial: {}),
                    stage=SimpleNamespace(train=None, eval=[0] * 5), objectives=["ndcg@10"], ks=[10],
                    tracker=tracker, parent_run="p")
    trial = FakeTrial(prune=False)
    trial.number, trial.set_user_attr = 0, lambda *a: None
    assert obj(trial) == 0.4
    assert trial.reported == [(0, 0.0), (1, 0.1), (2, 0.2), (3, 0.3), (4, 0.4)]
    assert calls == [slice(0, 5)] * 4 + [None]           # the last step scored once, by the trial
    (run,) = tracker.runs.values()
    assert run["history"][CURVE.replace("@", "_at_") + "ndcg_at_10"][-1] == (4, 0.4)


def test_pruning_off_computes_no_intermediate_values(monkeypatch):
    """Intermediate values exist for the pruner: with pruning off the model is fitted without a hook
    (no scoring during the fit, no learning curve) and only the trial's own value is computed."""
    calls, hooks = [], []
    monkeypatch.setattr(objective_module, "evaluate_model",
                        lambda model, ev, ks, rows=None, ids=None: calls.append(rows) or 0.3)
    monkeypatch.setattr(objective_module, "metric_value", lambda result, name: result)

    class Model:
        def fit(self, train, on_iteration=None):
            hooks.append(on_iteration)

    monkeypatch.setattr(objective_module.Recommender, "from_params", staticmethod(lambda params: Model()))
    tracker = MemoryTracker()
    obj = Objective(base_params={"iterations": 8}, space=SimpleNamespace(suggest=lambda trial: {}),
                    stage=SimpleNamespace(train=None, eval=[0] * 5), objectives=["ndcg@10"], ks=[10],
                    tracker=tracker, parent_run="p", prune=False)
    trial = FakeTrial(prune=True)
    trial.number, trial.set_user_attr = 0, lambda *a: None
    assert obj(trial) == 0.3
    assert hooks == [None] and calls == [None] and trial.reported == []
    (run,) = tracker.runs.values()
    assert not any(k.startswith(CURVE.replace("@", "_at_")) for k in run["history"])


def test_a_pruned_trial_run_carries_its_state_and_last_intermediate_value(monkeypatch):
    """Run the whole objective on a model whose fit reports 3 points then is pruned: the trial's run
    ends FINISHED with optuna.state=PRUNED and valid.<objective> = the last reported value."""
    monkeypatch.setattr(objective_module, "evaluate_model", lambda model, ev, ks, rows=None, ids=None: model)
    monkeypatch.setattr(objective_module, "metric_value", lambda result, name: result)

    class Model:
        def fit(self, train, on_iteration=None):
            for i, v in enumerate((0.1, 0.3, 0.2, 0.25)):
                on_iteration(i, v)

    monkeypatch.setattr(objective_module.Recommender, "from_params", staticmethod(lambda params: Model()))
    space = SimpleNamespace(suggest=lambda trial: {})
    tracker = MemoryTracker()
    obj = Objective(base_params={"iterations": 8}, space=space, stage=SimpleNamespace(train=None, eval=[0] * 5),
                    objectives=["ndcg@10"], ks=[10], tracker=tracker, parent_run="p", label="als")

    class PrunesAtThird(FakeTrial):
        number = 7

        def __init__(self):
            super().__init__(prune=False)
            self.intermediate_values = {}

        def report(self, value, step):
            super().report(value, step)
            self.intermediate_values[step] = value

        def should_prune(self):
            return len(self.reported) == 3

    with pytest.raises(optuna.TrialPruned):
        obj(PrunesAtThird())
    (run,) = tracker.runs.values()
    assert run["name"] == "als/trial-7" and run["status"] == "FINISHED"
    assert run["tags"]["optuna.state"] == "PRUNED"
    # iterations 8 -> a point every 8 // 5 = 1 iteration; pruned after the third point (step 2, value 0.2)
    assert run["metrics"]["valid.ndcg_at_10"] == 0.2 and run["metrics"]["pruned_at_step"] == 2
