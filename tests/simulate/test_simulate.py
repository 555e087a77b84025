import json
import warnings

import numpy as np
import pandas as pd
import pytest

from cs_lab.data.splits.holdout import basket_completion
from cs_lab.data.synthetic import generate
from cs_lab.errors import ConfigError, CsLabWarning, DataError
from cs_lab.simulate import SimulationConfig, sessions_from_holdout, simulate
from cs_lab.simulate.synthetic import synthetic_policy
from tests.simulate.conftest import oracle_recs


def _arms(syn):
    return {"control": None, "A": synthetic_policy(syn, 0.3, seed=1), "B": synthetic_policy(syn, 0.6, seed=2)}


def test_same_seed_same_result_other_seed_differs(syn):
    cfg = SimulationConfig(assignment="session", n_bootstrap=200, cuped=True, seed=11)
    a = simulate(syn.sessions, syn.truth, _arms(syn), cfg)
    b = simulate(syn.sessions, syn.truth, _arms(syn), cfg)
    pd.testing.assert_frame_equal(a.per_session, b.per_session)
    pd.testing.assert_frame_equal(a.lift, b.lift)
    assert a.to_json() == b.to_json()
    c = simulate(syn.sessions, syn.truth, _arms(syn), cfg.model_copy(update={"seed": 12}))
    assert not c.per_session["arm"].equals(a.per_session["arm"])


def test_planted_effect_is_detected(syn):
    """A policy that always offers a hidden item in the top slot beats no offer, and every interval
    of the conversion and revenue lift excludes 0."""
    cfg = SimulationConfig(assignment="session", n_bootstrap=500, take_rate=0.3, organic_rate=0.1, cuped=True)
    res = simulate(syn.sessions, syn.truth, {"control": None, "oracle": oracle_recs(syn)}, cfg)
    arms = res.arms.set_index("arm")
    assert arms.loc["oracle", "conversion"] > arms.loc["control", "conversion"] + 0.15
    lift = res.lift[res.lift["metric"].isin(["conversion", "addon_revenue", "margin"])]
    assert set(lift["method"]) == {"z-test", "welch", "bootstrap", "cuped-welch", "cuped-bootstrap"}
    assert (lift["abs_ci_low"] > 0).all() and (lift["rel_ci_low"] > 0).all()
    assert (lift["p_value"] < 0.01).all() and lift["significant"].all()
    # the lift's size matches the model: P(accept in slot 1) = 1 * take_rate, minus what was organic anyway
    conv = lift[(lift["metric"] == "conversion") & (lift["method"] == "z-test")].iloc[0]
    assert conv["abs_ci_low"] < arms.loc["oracle", "offer_conversion"] <= 0.3 + 0.05


def test_outputs_tables_and_json(syn, tmp_path):
    cfg = SimulationConfig(assignment="session", n_bootstrap=100, arms=["control", "A", "B"], weights=[2, 1, 1])
    res = simulate(syn.sessions, syn.truth, _arms(syn), cfg)
    assert res.arms["arm"].tolist() == ["control", "A", "B"]
    np.testing.assert_allclose(res.arms["share"], [0.5, 0.25, 0.25], atol=0.04)
    per = res.per_session
    assert len(per) == len(syn.sessions)
    np.testing.assert_allclose(per["order_value"], per["cart_value"] + per["addon_revenue"])
    assert (per["converted"] == (per["n_addons"] > 0)).all()
    assert (per["offer_converted"] == (per["n_accepted"] > 0)).all()
    g = per.groupby("arm", observed=True)
    np.testing.assert_allclose(res.arms.set_index("arm")["revenue_per_session"],
                               g["addon_revenue"].mean().reindex(["control", "A", "B"]))
    d = json.loads(res.to_json(tmp_path / "sim.json"))
    assert (tmp_path / "sim.json").exists()
    assert set(d["arms"]) == {"control", "A", "B"}
    assert {"conversion", "revenue_per_session", "order_value"} <= set(d["arms"]["A"])
    head = d["headline"]
    assert {r["method"] for r in head} == {"bootstrap"}
    assert {"abs_ci_low", "abs_ci_high", "p_value", "rel_lift"} <= set(head[0])
    assert {r["arm"] for r in head} == {"A", "B"}


def test_from_a_basket_completion_split():
    syn = generate(n_baskets=1500, seed=2)
    lines = syn.dataset.lines
    cut = lines["timestamp"].quantile(0.7)
    train, test = lines[lines["timestamp"] < cut], lines[lines["timestamp"] >= cut]
    split = basket_completion(test, seed=0)
    sessions, truth = sessions_from_holdout(split, test, history=train)
    assert len(sessions) == len(split.queries) and len(truth) == len(split.truth)
    # cart value by hand for one session: visible lines' quantity * unit_price
    q = split.queries.iloc[0]
    visible = split.cart.loc[split.cart["query_id"] == q["query_id"], "item_id"].astype(str)
    b = test[(test["basket_id"].astype(str) == str(q["basket_id"])) & test["item_id"].astype(str).isin(visible)]
    assert sessions.loc[0, "cart_value"] == pytest.approx(float((b["quantity"] * b["unit_price"]).sum()))
    assert "unit_cost" in truth.columns and truth["unit_cost"].notna().all()
    spend = train.groupby(train["customer_id"].astype(str))["value"].sum()
    known = sessions["customer_id"].notna()
    np.testing.assert_allclose(sessions.loc[known, "pre_period_spend"],
                               sessions.loc[known, "customer_id"].astype(str).map(spend).fillna(0.0))
    res = simulate(sessions, truth, {"control": None, "miss": np.full((len(sessions), 1), "zzz", dtype=object)},
                   SimulationConfig(assignment="session", n_bootstrap=50, cuped=True))
    assert res.arms["conversion"].gt(0).all()


def test_without_prices_only_conversion_is_compared(syn):
    truth = syn.truth.drop(columns=["value", "unit_cost"]).assign(unit_price=np.nan)
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        res = simulate(syn.sessions, truth, {"control": None, "o": oracle_recs(syn)}, SimulationConfig(assignment="session", n_bootstrap=50))
    assert any(issubclass(x.category, CsLabWarning) for x in w)
    assert set(res.lift["metric"]) == {"conversion", "offer_conversion", "incremental_conversion"}
    assert any("no prices" in n for n in res.notes)
    json.loads(res.to_json())  # NaN revenue becomes null


def test_config_as_a_dict(syn):
    res = simulate(syn.sessions, syn.truth, {"o": oracle_recs(syn)}, {"n_bootstrap": 0, "ci_method": "analytic"})
    assert res.arms["arm"].tolist() == ["control", "o"]
    with pytest.raises(ConfigError, match="simulation.n_boot"):
        simulate(syn.sessions, syn.truth, {"o": None}, {"n_boot": 10})


def test_margin_needs_costs(syn):
    res = simulate(syn.sessions, syn.truth.drop(columns=["unit_cost"]), {"control": None, "o": oracle_recs(syn)},
                   SimulationConfig(assignment="session", n_bootstrap=0, ci_method="analytic"))
    assert "margin" not in set(res.lift["metric"]) and any("margin" in n for n in res.notes)


def test_input_errors_say_what_to_do(syn):
    cfg = SimulationConfig(assignment="session", n_bootstrap=0, ci_method="analytic")
    with pytest.raises(DataError, match="cart_value"):
        simulate(syn.sessions.drop(columns=["cart_value"]), syn.truth, {"control": None, "o": None}, cfg)
    with pytest.raises(DataError, match="not unique"):
        simulate(pd.concat([syn.sessions, syn.sessions.head(2)]), syn.truth, {"control": None, "o": None}, cfg)
    bad = pd.concat([syn.truth, syn.truth.head(1).assign(query_id="nope")])
    with pytest.raises(DataError, match="belong to no session"):
        simulate(syn.sessions, bad, {"control": None, "o": None}, cfg)
    with pytest.raises(DataError, match="hidden twice"):
        simulate(syn.sessions, pd.concat([syn.truth, syn.truth.head(1)]), {"control": None, "o": None}, cfg)
    with pytest.raises(ConfigError, match="missing"):
        simulate(syn.sessions, syn.truth, {"o": None}, cfg.model_copy(update={"arms": ["control", "x"]}))
    with pytest.raises(DataError, match="pre_period_spend|covariate"):
        simulate(syn.sessions.drop(columns=["pre_period_spend"]), syn.truth, {"o": None},
                 SimulationConfig(assignment="session", n_bootstrap=0, ci_method="analytic", cuped=True))


def test_counterfactual_is_the_paired_effect_without_assignment_noise(syn):
    from cs_lab.simulate import SessionSet
    from cs_lab.simulate.acceptance import simulate_outcomes
    from cs_lab.simulate.arms import encode_arm

    policy = synthetic_policy(syn, 0.6, seed=2)
    cfg = SimulationConfig(assignment="session", n_bootstrap=0, ci_method="analytic", organic_rate=0.1)
    res = simulate(syn.sessions, syn.truth, {"control": None, "B": policy, "B2": policy}, cfg)
    cf = res.counterfactual.set_index(["arm", "metric"])
    # by hand: all sessions without offers vs all sessions with B's offers, same draws
    ss = SessionSet.from_frames(syn.sessions, syn.truth)
    zero = np.zeros(len(ss), np.int64)
    none = simulate_outcomes(ss, zero, [None], cfg)
    with_b = simulate_outcomes(ss, zero, [encode_arm(policy, ss, 5)], cfg)
    expected = with_b["converted"].mean() - none["converted"].mean()
    assert cf.loc[("B", "conversion"), "abs_lift"] == pytest.approx(expected)
    assert cf.loc[("B", "addon_revenue"), "mean_arm"] == pytest.approx(with_b["addon_revenue"].mean())
    # identical policies: identical counterfactual rows
    pd.testing.assert_series_equal(cf.loc["B", "abs_lift"], cf.loc["B2", "abs_lift"], check_names=False)
    # order value = cart value + add-on revenue: paired, the cart values cancel exactly
    assert cf.loc[("B", "order_value"), "abs_lift"] == pytest.approx(cf.loc[("B", "addon_revenue"), "abs_lift"])
    # the A/B test's intervals are wider than the paired ones and cover the counterfactual effect
    ab = res.lift[(res.lift["arm"] == "B") & res.lift["method"].isin(["z-test", "welch"])].set_index("metric")
    for m in ("conversion", "addon_revenue", "order_value"):
        lo, hi = ab.loc[m, "abs_ci_low"], ab.loc[m, "abs_ci_high"]
        assert lo < cf.loc[("B", m), "abs_lift"] < hi
        assert hi - lo > cf.loc[("B", m), "abs_ci_high"] - cf.loc[("B", m), "abs_ci_low"]
    assert len(json.loads(res.to_json())["counterfactual"]) == len(res.counterfactual)
    off = simulate(syn.sessions, syn.truth, {"control": None, "B": policy},
                   cfg.model_copy(update={"counterfactual": False}))
    assert off.counterfactual.empty
