"""A threshold model and tactic arms through the runner, on the tiny synthetic experiment: offline
threshold metrics for every model, the threshold arm's terms read from the fitted model, net margin
in the simulation, and the policy threshold on the control."""

import numpy as np
import pytest

from cs_lab.errors import ConfigError
from cs_lab.experiment.runner import ExperimentRunner, RunOptions
from cs_lab.experiment.simulation import SimulationSpec, model_tactics
from cs_lab.experiment.spec import load_spec
from cs_lab.testing.experiment import tiny_spec
from cs_lab.tracking import MemoryTracker

THRESHOLD = {"value": 30.0, "benefit": "free_delivery", "amount": 2.0}


def _spec(tmp_path, policy: bool):
    sim = {"arms": ["control", "item_knn", "threshold"], "slots": 5, "n_bootstrap": 100, "rates": "priors",
           "rate_draws": 20, "margin_rate": 0.3}
    if policy:
        sim["policy_threshold"] = THRESHOLD
    return tiny_spec(tmp_path, trials=1, split={"test_fraction": 0.3, "windows": 1}, seeds=1,
                     models=[{"name": "popularity", "config": {"model": "popularity"}},
                             {"name": "item_knn", "config": {"model": "item_knn", "train_on": "baskets"}},
                             {"name": "threshold", "config": {"model": "threshold", "threshold": THRESHOLD,
                                                              "base": {"model": "item_knn", "train_on": "baskets"},
                                                              "weight": 0.8}}],
                     metrics={"ks": [5, 10], "objective": "ndcg@10", "threshold": {**THRESHOLD, "margin_rate": 0.3}},
                     simulation=sim)


def _run(path, tmp_path):
    spec = load_spec(path)
    tracker = MemoryTracker()
    res = ExperimentRunner(spec, tracker, RunOptions(run_dir=tmp_path / "runs" / spec.name, progress=False,
                                                     log_models=False)).run()
    return res, tracker


@pytest.mark.parametrize("policy", [False, True])
def test_threshold_arm_end_to_end(tmp_path, tmp_cache, policy):
    res, tr = _run(_spec(tmp_path, policy), tmp_path)
    # offline: every model gets the threshold metrics
    for name in ("popularity", "item_knn", "threshold"):
        summary = res.outcomes[name].result.summary
        assert {"threshold_reached", "threshold_crossed", "benefit_cost", "order_value_lift", "net_margin"} <= set(summary)
    sim = res.simulation.result
    arms = sim.arms.set_index("arm")
    assert "net_margin" in set(sim.lift["metric"]) and "threshold_reached" in set(sim.lift["metric"])
    assert arms.loc["threshold", "threshold_reached"] > 0
    if policy:   # the standing threshold is paid in every arm, control included
        assert arms.loc["control", "benefit_cost_per_session"] > 0
        assert arms.loc["item_knn", "benefit_cost_per_session"] > 0
    else:      # without a policy only the threshold arm has a threshold
        assert arms.loc["item_knn", "threshold_reached"] == 0
        assert arms.loc["control", "benefit_cost_per_session"] == 0
        assert arms.loc["item_knn", "benefit_cost_per_session"] == 0
    per = sim.per_session
    thr = per[per["arm"] == "threshold"]
    # the benefit is paid exactly on the orders whose value reaches T (free delivery: the fee)
    np.testing.assert_allclose(thr["benefit_cost"], np.where(thr["order_value"] >= THRESHOLD["value"],
                                                             THRESHOLD["amount"], 0.0))
    # the synthetic shop has unit costs: they win over the assumed margin_rate
    np.testing.assert_allclose(thr["net_margin"], thr["margin"] - thr["benefit_cost"])


def test_model_tactics_reads_what_a_model_exposes():
    class Bundle:
        def slot_discounts(self, ids):
            return np.where(ids >= 0, 0.1, 0.0)

    class Plain:
        pass

    class NeedsCarts:
        def slot_discounts(self, ids, queries=None, exclude=None):
            assert queries == "carts" and exclude == "ex"
            return np.zeros(ids.shape)

    ids = np.array([[1, 2, -1]])
    np.testing.assert_allclose(model_tactics(Bundle(), ids)["discounts"], [[0.1, 0.1, 0.0]])
    assert model_tactics(Plain(), ids) == {}
    np.testing.assert_array_equal(model_tactics(NeedsCarts(), ids, "carts", "ex")["discounts"], np.zeros((1, 3)))


def test_bad_policy_threshold_names_the_key():
    with pytest.raises(ConfigError, match="policy_threshold"):
        SimulationSpec.parse({"policy_threshold": {"value": -3}})
    with pytest.raises(ConfigError, match="policy_threshold"):
        SimulationSpec.parse({"policy_threshold": {"value": 3, "fee": 1}})


def test_eval_cart_value_matches_the_simulation_sessions(tmp_path, tmp_cache):
    """Two implementations of the visible cart's value (the eval set's, the simulation sessions') agree."""
    from cs_lab.simulate import sessions_from_holdout

    res, _ = _run(_spec(tmp_path, False), tmp_path)
    task = res.windows.latest
    ev = task.final.eval
    sessions, _ = sessions_from_holdout(ev.holdout, task.split.test)
    np.testing.assert_allclose(ev.cart_value, sessions["cart_value"].to_numpy())
    assert (ev.cart_value > 0).mean() > 0.9


def test_response_sweep_shows_the_lift_over_the_assumed_range():
    """A discounted arm's lift at each fixed discount response: conversion cannot fall as r grows,
    and r = 0 is the undiscounted acceptance."""
    from cs_lab.experiment.simulation import response_sweep
    from cs_lab.simulate import Arm, SessionSet, SimulationConfig
    from cs_lab.simulate.synthetic import synthetic_sessions
    from tests.simulate.conftest import oracle_recs

    syn = synthetic_sessions(3000, n_items=500, seed=7)
    ss = SessionSet.from_frames(syn.sessions, syn.truth)
    recs = oracle_recs(syn)                                   # strings, None pads
    vocab = np.unique(recs[recs != None].astype(str))         # noqa: E711
    ids = np.where(recs != None, np.searchsorted(vocab, np.where(recs != None, recs, vocab[0]).astype(str)), -1)  # noqa: E711
    disc = np.where(ids >= 0, 0.2, 0.0)
    cfg = SimulationConfig(take_rate=0.2, organic_rate=0.1, n_bootstrap=0, ci_method="analytic", margin_rate=0.3,
                           metrics=["conversion", "net_margin", "order_value"])
    arms = {"control": None, "bundle": Arm(ids.astype(np.int64), items=vocab, discounts=disc)}
    sweep = response_sweep(ss, arms, cfg, [0.0, 2.6, 5.2], None, None)
    conv = sweep[sweep["metric"] == "conversion"].set_index("discount_response")["abs_lift"]
    assert list(conv.index) == [0.0, 2.6, 5.2]
    assert conv.is_monotonic_increasing and conv[5.2] > conv[0.0]
    assert set(sweep["metric"]) == {"conversion", "net_margin", "order_value"}
