"""The cross-fitted click model: out-of-fold predictions, a working fit, Laplace draws."""

import numpy as np
import pandas as pd
import pytest

from cs_lab.simulate.ope.reward_model import (RewardModelConfig, build_design, cross_fit, fit_logistic, fold_ids)
from tests.simulate.ope._synthetic import logs


def _design(b, item_onehot=False):
    return build_design(b.user, b.item_context, b.position, b.affinity, 3, item_onehot)


def test_each_fold_is_predicted_by_the_model_fitted_on_the_other_folds():
    b, _, _ = logs(0, n=1500)
    cfg = RewardModelConfig(n_folds=3)
    d = _design(b)
    cf = cross_fit(d, b.action, b.reward, cfg, seed=11)
    np.testing.assert_array_equal(cf.fold, fold_ids(len(b.action), 3, 11))
    for j in range(3):
        rows = np.flatnonzero(cf.fold == j)
        train = np.flatnonzero(cf.fold != j)
        model = fit_logistic(d, train, b.action[train], b.reward[train], cfg)
        np.testing.assert_allclose(cf.q[rows], model.predict_logged_slot(rows), rtol=1e-10)


def test_cross_fitting_does_not_memorise_rounds():
    """A feature unique to each round lets an in-sample fit memorise the clicks; out-of-fold
    predictions of the same model carry no trace of the round's own click."""
    rng = np.random.default_rng(0)
    b, _, _ = logs(1, n=600)
    b.reward = (rng.random(600) < 0.2).astype(float)          # clicks unrelated to anything
    b.user = pd.DataFrame({"round_id": pd.Categorical(np.arange(600).astype(str))})
    cfg = RewardModelConfig(l2=0.01, n_folds=3)
    d = _design(b)
    rows = np.arange(600)
    inside = fit_logistic(d, rows, b.action, b.reward, cfg).predict_logged_slot(rows)[rows, b.action]
    oof = cross_fit(d, b.action, b.reward, cfg, seed=0).q[rows, b.action]
    clicked = b.reward > 0

    def gap(p):
        return p[clicked].mean() - p[~clicked].mean()

    assert gap(inside) > 0.5                     # memorised
    assert abs(gap(oof)) < 0.05                  # out of fold: nothing to memorise


def test_fit_recovers_the_slot_and_item_effects():
    b, _, _ = logs(2, n=20_000)
    cfg = RewardModelConfig(l2=1.0)
    d = _design(b)
    rows = np.arange(len(b.action))
    q = fit_logistic(d, rows, b.action, b.reward, cfg).predict_logged_slot(rows)
    by_slot = [q[b.position == k].mean() for k in range(3)]
    assert by_slot[0] > by_slot[1] > by_slot[2]          # exam 1.0 > 0.6 > 0.4
    assert np.all(np.diff(q.mean(axis=0)) > 0)           # attractiveness increases with the item id
    cf = cross_fit(d, b.action, b.reward, cfg, seed=0)
    diag = cf.diagnostics(b.action, b.reward)
    assert diag["oof_log_loss"] < diag["constant_log_loss"]


def test_laplace_draws_center_on_the_fit_and_scale_with_the_data():
    b, _, _ = logs(3, n=2000)
    d = _design(b)
    rows = np.arange(len(b.action))
    model = fit_logistic(d, rows, b.action, b.reward, RewardModelConfig(l2=1.0))
    np.testing.assert_array_equal(model.draw(np.zeros(len(model.theta))).theta, model.theta)
    big, _, _ = logs(3, n=8000)
    model_big = fit_logistic(_design(big), np.arange(8000), big.action, big.reward, RewardModelConfig(l2=1.0))
    rng = np.random.default_rng(0)

    def sd_of_mean_prediction(m, n):
        r = np.arange(n)
        return np.std([m.draw(rng.standard_normal(len(m.theta))).predict_logged_slot(r).mean() for _ in range(300)])

    sd_small, sd_big = sd_of_mean_prediction(model, 2000), sd_of_mean_prediction(model_big, 8000)
    assert sd_big == pytest.approx(sd_small / 2, rel=0.25)              # ~ 1/sqrt(n)
    p = b.reward.mean()
    assert sd_small == pytest.approx(np.sqrt(p * (1 - p) / 2000), rel=0.35)  # ~ the binomial se of the CTR
