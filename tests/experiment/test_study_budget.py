"""The tuning study's budget rules (cs_lab.experiment.study): the default configuration is trial 0
(enqueued once), the sampler fits the budget, the budget counts completed trials with a cap on
pruned ones, the pruner waits for its warm-up, and all of it resumes exactly after a kill."""

import optuna
import pytest
from optuna.trial import TrialState

from cs_lab.experiment.study import (DEFAULT_ATTR, TPE_MIN_BUDGET, BudgetCallback, SeededNSGAIISampler,
                                     SeededQMCSampler, SeededTPESampler, budget_left, default_trial,
                                     enqueue_default, fail_stale_trials, journal_storage, make_sampler,
                                     open_study, trial_counts)

optuna.logging.set_verbosity(optuna.logging.WARNING)

DEFAULT = {"x": 0.5, "y": 12, "c": "a"}


def objective(trial):
    x = trial.suggest_float("x", -5, 5)
    y = trial.suggest_int("y", 1, 50, log=True)
    c = trial.suggest_categorical("c", ["a", "b", "c"])
    return -(x - 1) ** 2 - (y - 7) ** 2 / 10 + (c == "b")


def prune_negative_x(trial):
    """Pruned whenever x < 0 (about half the space), after reporting once."""
    v = objective(trial)
    trial.report(v, 0)
    if trial.params["x"] < 0:
        raise optuna.TrialPruned()
    return v


def die_inside_a_trial(study):
    """A trial that drew its parameters, then its process was killed (left RUNNING)."""
    t = study.ask()
    objective(t)


def tune(study, fn, budget, max_pruned, **kw):
    """What the tune stage does: enqueue the default, run what the budget leaves, stop on the budget."""
    enqueue_default(study, DEFAULT)
    left = budget_left(study, budget, max_pruned)
    if left:
        study.optimize(fn, n_trials=left, callbacks=[BudgetCallback(budget, max_pruned)], **kw)
    return study


def _open(path, budget, seed=3, prune=False):
    return open_study("s", journal_storage(path), ["maximize"], seed=seed, prune=prune, budget=budget)


@pytest.mark.parametrize("budget", [6, 12])
def test_defaults_are_trial_zero_and_enqueued_once(tmp_path, budget):
    study = tune(_open(tmp_path / "j.journal", budget), objective, budget, 0)
    assert study.trials[0].params == DEFAULT and study.trials[0].user_attrs[DEFAULT_ATTR]
    assert default_trial(study).number == 0
    again = _open(tmp_path / "j.journal", budget)          # a rerun of a finished study
    assert not enqueue_default(again, DEFAULT)
    assert len(again.trials) == budget
    assert sum(bool(t.user_attrs.get(DEFAULT_ATTR)) for t in again.trials) == 1


def test_default_killed_while_running_is_enqueued_again(tmp_path):
    study = _open(tmp_path / "j.journal", 6)
    enqueue_default(study, DEFAULT)
    die_inside_a_trial(study)                              # the process dies inside the default trial
    study = _open(tmp_path / "j.journal", 6)
    assert fail_stale_trials(study) == 1
    tune(study, objective, 6, 0)
    live = [t for t in study.trials if t.state != TrialState.FAIL]
    assert live[0].params == DEFAULT and len(live) == 6


def test_sampler_fits_the_budget():
    assert isinstance(make_sampler(["maximize"], 0, TPE_MIN_BUDGET - 1), SeededQMCSampler)
    tpe = make_sampler(["maximize"], 0, 30)
    assert isinstance(tpe, SeededTPESampler)
    assert tpe._n_startup_trials == 10 and tpe._multivariate
    assert make_sampler(["maximize"], 0, TPE_MIN_BUDGET)._n_startup_trials == 3
    assert isinstance(make_sampler(["maximize", "minimize"], 0, 4), SeededNSGAIISampler)


def test_qmc_points_are_spread_not_repeated(tmp_path):
    study = tune(_open(tmp_path / "j.journal", 8), objective, 8, 0)
    xs = sorted(t.params["x"] for t in study.trials[1:])
    assert len(set(xs)) == 7
    # a scrambled Sobol sequence puts points in both halves of every coordinate
    assert xs[0] < 0 < xs[-1]


@pytest.mark.parametrize("budget", [7, 12])    # QMC, TPE
@pytest.mark.parametrize("kill_at", [0, 3])    # inside the default trial, inside a sampled one
def test_killed_and_resumed_study_proposes_what_an_uninterrupted_one_would(tmp_path, budget, kill_at):
    whole = tune(_open(tmp_path / "whole.journal", budget, prune=True), prune_negative_x, budget, 3)
    part = _open(tmp_path / "part.journal", budget, prune=True)
    enqueue_default(part, DEFAULT)
    if kill_at:
        part.optimize(prune_negative_x, n_trials=kill_at)
    die_inside_a_trial(part)                               # killed inside trial number kill_at
    part = _open(tmp_path / "part.journal", budget, prune=True)
    fail_stale_trials(part)
    tune(part, prune_negative_x, budget, 3)
    done = (TrialState.COMPLETE, TrialState.PRUNED)
    a = [(t.params, t.state) for t in whole.trials if t.state in done]
    b = [(t.params, t.state) for t in part.trials if t.state in done]
    assert a == b and a[0][0] == DEFAULT


@pytest.mark.parametrize("max_pruned", [0, 2, 20])
def test_budget_counts_completed_trials_with_a_cap_on_pruned(tmp_path, max_pruned):
    budget = 8
    study = tune(_open(tmp_path / "j.journal", budget, prune=True), prune_negative_x, budget, max_pruned)
    n_complete, n_pruned = trial_counts(study)
    assert n_pruned > 0                                    # the test means something
    if max_pruned == 20:                                   # enough replacements: the budget is met
        assert n_complete == budget
    else:                                                  # stopped by the cap on pruned trials
        assert n_complete + n_pruned == budget + max_pruned and n_complete < budget
    assert budget_left(study, budget, max_pruned) == 0


def test_budget_is_shared_by_workers_reading_one_storage(tmp_path):
    """Two study objects on one journal (two workers): together they stop at the budget."""
    a, b = _open(tmp_path / "j.journal", 6), _open(tmp_path / "j.journal", 6, seed=4)
    enqueue_default(a, DEFAULT)
    a.optimize(objective, n_trials=4, callbacks=[BudgetCallback(6, 0)])
    b.optimize(objective, n_trials=10, callbacks=[BudgetCallback(6, 0)])
    assert trial_counts(a) == (6, 0)


def test_pruner_waits_for_its_warm_up(tmp_path):
    """Trials reporting far worse values than the median are pruned only from the warm-up step on."""
    study = open_study("s", journal_storage(tmp_path / "j.journal"), ["maximize"], 0, True, budget=6,
                       warmup_steps=5)
    for _ in range(2):                                     # the pruner's two start-up trials: good ones
        t = study.ask()
        for step in range(10):
            t.report(1.0, step)
        study.tell(t, 1.0)
    bad = study.ask()
    pruned_at = None
    for step in range(10):
        bad.report(0.0, step)
        if bad.should_prune():
            pruned_at = step
            break
    assert pruned_at == 5
