import numpy as np
import pandas as pd
import pytest

from cs_lab.errors import ConfigError
from cs_lab.simulate import (SimulationConfig, calibrate, organic_rate_for_conversion, organic_rate_from_history,
                             simulate, take_rate_for_offer_conversion)
from cs_lab.simulate.synthetic import synthetic_policy

NOBOOT = {"n_bootstrap": 0, "ci_method": "analytic"}


def test_organic_rate_reproduces_the_target_control_conversion(syn):
    r = organic_rate_for_conversion(syn.sessions, syn.truth, 0.12)
    n_hidden = syn.truth.groupby("query_id").size().reindex(syn.sessions["query_id"]).to_numpy()
    assert np.mean(1 - (1 - r) ** n_hidden) == pytest.approx(0.12, abs=1e-9)
    res = simulate(syn.sessions, syn.truth, {"control": None, "x": None},
                   SimulationConfig(organic_rate=r, **NOBOOT))
    conv = res.per_session["converted"].mean()  # both arms offer nothing
    assert abs(conv - 0.12) < 4 * np.sqrt(0.12 * 0.88 / len(syn.sessions))
    with pytest.raises(ConfigError, match="outside"):
        organic_rate_for_conversion(syn.sessions, syn.truth, 1.5)


def test_organic_rate_from_history_is_the_repeat_share():
    sessions = pd.DataFrame({"query_id": ["q1", "q2", "q3"], "customer_id": ["c1", "c2", None],
                             "cart_value": [10.0, 5.0, 1.0]})
    truth = pd.DataFrame({"query_id": ["q1", "q1", "q2", "q3"], "item_id": ["a", "b", "c", "a"],
                          "quantity": 1.0, "unit_price": 1.0})
    history = pd.DataFrame({"customer_id": ["c1", "c1", "c2"], "item_id": ["a", "z", "z"]})
    rate, n = organic_rate_from_history(sessions, truth, history)
    # c1 bought a before (1 of 2 hidden lines), c2 did not buy c; the anonymous session is left out
    assert (rate, n) == (pytest.approx(1 / 3), 3)


def test_take_rate_reaches_the_target_offer_conversion(syn):
    cfg = SimulationConfig(organic_rate=0.1, **NOBOOT)
    policy = synthetic_policy(syn, 0.8, seed=9)
    t = take_rate_for_offer_conversion(syn.sessions, syn.truth, policy, 0.2, cfg)
    assert 0 < t < 1
    res = simulate(syn.sessions, syn.truth, {"control": policy, "x": policy},
                   cfg.model_copy(update={"take_rate": t}))
    oc = res.per_session["offer_converted"].mean()
    assert abs(oc - 0.2) < 4 * np.sqrt(0.2 * 0.8 / len(syn.sessions))
    with pytest.raises(ConfigError, match="rarely hit"):
        take_rate_for_offer_conversion(syn.sessions, syn.truth, policy, 0.99, cfg)


def test_calibrate_reports_what_it_did(syn):
    cal = calibrate(SimulationConfig(seed=3), syn.sessions, syn.truth, target_control_conversion=0.1,
                    reference_recs=synthetic_policy(syn, 0.8, seed=9), target_offer_conversion=0.15)
    assert cal.config.seed == 3
    assert cal.report["organic_rate"]["method"] == "target_control_conversion"
    assert cal.report["take_rate"]["value"] == cal.config.take_rate
    plain = calibrate(SimulationConfig(), syn.sessions, syn.truth)
    assert plain.report["organic_rate"]["method"] == "configured"
    with pytest.raises(ConfigError, match="both"):
        calibrate(SimulationConfig(), syn.sessions, syn.truth, target_offer_conversion=0.1)
