"""Tactic arms in the simulation: order thresholds (benefit paid, order value, net margin) checked
against hand computations, discounted slots (acceptance scaled by the discount response), and the
parameter-bootstrap path agreeing with the point path."""

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from cs_lab.errors import ConfigError, DataError
from cs_lab.simulate import Arm, SessionSet, SimulationConfig, simulate
from cs_lab.simulate.acceptance import arm_positions, simulate_outcomes
from cs_lab.simulate.arms import arm_tactics, encode_arm
from cs_lab.simulate.draws import _session_outcomes
from cs_lab.simulate.tactics import SessionTerms, ThresholdOffer, line_discounts

# three sessions, one hidden item each: values 30, 20, 10; carts 80, 50, 150
SESSIONS = pd.DataFrame({"query_id": ["s1", "s2", "s3"], "customer_id": ["c1", "c2", "c3"],
                         "cart_value": [80.0, 50.0, 150.0]})
TRUTH = pd.DataFrame({"query_id": ["s1", "s2", "s3"], "item_id": ["X", "Y", "Z"], "quantity": [1.0, 2.0, 1.0],
                      "unit_price": [30.0, 10.0, 10.0]})
VOCAB = np.array(["X", "Y", "Z", "W"])
IDS = np.array([[0, 3], [1, 3], [3, -1]])      # s1 offered X, s2 offered Y, s3 offered only W (not hidden)
SURE = dict(take_rate=1.0, examination="uniform", organic_rate=0.0, n_bootstrap=0, ci_method="analytic",
            margin_rate=0.3, slots=2)


def _all_in(arm: Arm, cfg: SimulationConfig, **kw):
    ss = SessionSet.from_frames(SESSIONS, TRUTH)
    codes = encode_arm(arm, ss, cfg.slots)
    d, t = arm_tactics(arm, len(ss), cfg.slots)
    return simulate_outcomes(ss, np.zeros(3, np.int64), [codes], cfg, discounts=[d], thresholds=[t], **kw)


def test_free_delivery_net_margin_by_hand():
    cfg = SimulationConfig(**SURE)
    out = _all_in(Arm(IDS, VOCAB, threshold={"value": 100.0, "benefit": "free_delivery", "amount": 5.0}), cfg)
    # s1: 80 + 30 = 110 >= 100 -> fee 5 waived; net = 0.3 x 30 - 5 = 4
    # s2: 50 + 20 = 70 < 100  -> no benefit;   net = 0.3 x 20 = 6
    # s3: 150 (nothing accepted) >= 100 -> fee; net = 0 - 5 = -5
    np.testing.assert_array_equal(out["threshold_reached"], [True, False, True])
    np.testing.assert_allclose(out["benefit_cost"], [5.0, 0.0, 5.0])
    np.testing.assert_allclose(out["order_value"], [110.0, 70.0, 150.0])
    np.testing.assert_allclose(out["net_margin"], [4.0, 6.0, -5.0])


def test_tier_discount_changes_the_order_value_by_hand():
    cfg = SimulationConfig(**SURE)
    out = _all_in(Arm(IDS, VOCAB, threshold={"value": 100.0, "benefit": "tier_discount", "amount": 0.1}), cfg)
    # s1: goods 110, 10 % off -> pays 99, costs 11: net 9 - 11 = -2; s3: goods 150 -> 135, net -15
    np.testing.assert_allclose(out["order_value"], [99.0, 70.0, 135.0])
    np.testing.assert_allclose(out["benefit_cost"], [11.0, 0.0, 15.0])
    np.testing.assert_allclose(out["net_margin"], [-2.0, 6.0, -15.0])


def _replicated(r: int):
    """The three sessions r times over (distinct customers), with the hand-computed net margins."""
    sess = pd.concat([SESSIONS.assign(query_id=SESSIONS["query_id"] + f"_{i}", customer_id=SESSIONS["customer_id"]
                                      + f"_{i}") for i in range(r)], ignore_index=True)
    truth = pd.concat([TRUTH.assign(query_id=TRUTH["query_id"] + f"_{i}") for i in range(r)], ignore_index=True)
    return sess, truth, np.tile(IDS, (r, 1)), np.tile([4.0, 6.0, -5.0], r)


def test_simulate_reports_net_margin_per_session_and_lift():
    sess, truth, ids, net = _replicated(20)
    cfg = SimulationConfig(**SURE, metrics=["net_margin", "threshold_reached"])
    arms = {"control": None, "thr": Arm(ids, VOCAB, threshold={"value": 100.0, "amount": 5.0})}
    res = simulate(sess, truth, arms, cfg)
    in_thr = (res.per_session["arm"] == "thr").to_numpy()
    row = res.arms.set_index("arm").loc["thr"]
    assert 0 < row["n"] < 60
    assert row["net_margin_per_session"] == pytest.approx(net[in_thr].mean())
    assert row["threshold_reached"] == pytest.approx(np.tile([1, 0, 1], 20)[in_thr].mean())
    assert res.arms.set_index("arm").loc["control", "net_margin_per_session"] == 0.0
    cf = res.counterfactual.set_index("metric").loc["net_margin"]
    assert cf["mean_arm"] == pytest.approx(5 / 3)
    assert cf["mean_control"] == 0.0          # no offer, no threshold: no add-on, no benefit


def test_threshold_on_the_control_too():
    """The same free-delivery line in both arms: the nudge's effect is the difference."""
    sess, truth, ids, _ = _replicated(10)
    cfg = SimulationConfig(**SURE, metrics=["net_margin"])
    thr = {"value": 100.0, "amount": 5.0}
    arms = {"control": Arm(np.full((30, 2), -1), VOCAB, threshold=thr), "thr": Arm(ids, VOCAB, threshold=thr)}
    cf = simulate(sess, truth, arms, cfg).counterfactual.set_index("metric").loc["net_margin"]
    # control: s3 alone reaches T (150): -5/3 per session; the nudge arm: 5/3
    assert cf["mean_control"] == pytest.approx(-5 / 3)
    assert cf["abs_lift"] == pytest.approx(10 / 3)


def test_discount_scales_acceptance_and_price():
    cfg = SimulationConfig(take_rate=0.2, examination="uniform", organic_rate=0.0, n_bootstrap=0,
                           ci_method="analytic", margin_rate=0.3, slots=2)
    ss = SessionSet.from_frames(SESSIONS, TRUTH)
    u = (np.full(3, 0.3), np.ones(3))          # u_offer 0.3 > 0.2: accepted only if the discount lifts p
    disc = np.array([[0.5, 0.0], [0.0, 0.0], [0.0, 0.0]])
    arm = Arm(IDS, VOCAB, discounts=disc)
    codes = encode_arm(arm, ss, 2)
    plain = simulate_outcomes(ss, np.zeros(3, np.int64), [codes], cfg, u)
    assert plain["n_accepted"].sum() == 0
    out = simulate_outcomes(ss, np.zeros(3, np.int64), [codes], cfg, u, discounts=[disc], response=2.0)
    # s1: p = 0.2 x (1 + 2 x 0.5) = 0.4 > 0.3 -> accepted at half price; s2 undiscounted stays 0.2 < 0.3
    np.testing.assert_array_equal(out["n_accepted"], [1, 0, 0])
    np.testing.assert_allclose(out["addon_revenue"], [15.0, 0.0, 0.0])
    np.testing.assert_allclose(out["discount_cost"], [15.0, 0.0, 0.0])
    np.testing.assert_allclose(out["net_margin"], [0.3 * 30 - 15.0, 0.0, 0.0])
    weak = simulate_outcomes(ss, np.zeros(3, np.int64), [codes], cfg, u, discounts=[disc], response=0.4)
    assert weak["n_accepted"].sum() == 0       # p = 0.2 x 1.2 = 0.24 < 0.3


def test_draws_path_agrees_with_the_point_path():
    cfg = SimulationConfig(take_rate=0.5, examination="uniform", organic_rate=0.1, n_bootstrap=0,
                           ci_method="analytic", margin_rate=0.25, slots=2)
    ss = SessionSet.from_frames(SESSIONS, TRUTH)
    disc = np.array([[0.2, 0.0], [0.1, 0.0], [0.0, 0.0]])
    thr = ThresholdOffer(100.0, "tier_discount", 0.05)
    codes = encode_arm(Arm(IDS, VOCAB), ss, 2)
    u = (np.full(3, 0.55), np.array([0.05, 0.9, 0.9]))   # s1, s2 accepted only thanks to the discount
    zeros = np.zeros(3, np.int64)
    point = simulate_outcomes(ss, zeros, [codes], cfg, u, discounts=[disc], thresholds=[thr], response=3.0)
    pos = arm_positions(ss, zeros, [codes])[0]
    S = sp.csr_matrix((np.ones(3, np.float32), (ss.line_session, np.arange(3))), shape=(3, 3))
    metrics = ["addon_revenue", "order_value", "net_margin", "threshold_reached", "incremental_revenue"]
    org = np.full((3, 1), 0.1)
    d = _session_outcomes(ss, pos, cfg.accept_probability()[None, :], org, u[0], u[1], S, metrics,
                          d_line=line_discounts([disc], zeros, ss.line_session, pos), resp=np.array([3.0]),
                          terms=SessionTerms.build(zeros, [thr]), line_margin=0.25 * ss.line_value)
    assert np.asarray(point["n_accepted"]).tolist() == [1, 1, 0]
    for m in metrics:
        np.testing.assert_allclose(d[m][:, 0], np.asarray(point[m], dtype=float), err_msg=m)


def test_rate_draws_run_with_tactic_arms():
    cfg = SimulationConfig(take_rate=0.5, organic_rate=0.1, n_bootstrap=0, ci_method="analytic", margin_rate=0.3,
                           slots=2, rate_draws=8, metrics=["net_margin", "order_value"])
    sess, truth, ids, _ = _replicated(10)
    arms = {"control": None, "bundle": Arm(ids, VOCAB, discounts=np.full((30, 2), 0.1)),
            "thr": Arm(ids, VOCAB, threshold={"value": 100.0, "amount": 5.0})}
    res = simulate(sess, truth, arms, cfg)
    assert {"assumption.discount_response", "take_rate"} <= set(res.rates.sources["name"])
    assert set(res.draws.arms["metric"]) == {"net_margin", "order_value"}
    fixed = simulate(sess, truth, arms, cfg.model_copy(update={"discount_response": 1.0}))
    assert "discount_response" in set(fixed.rates.sources["name"])


def test_net_margin_without_a_margin_source_is_skipped():
    cfg = SimulationConfig(take_rate=1.0, n_bootstrap=0, ci_method="analytic", slots=2, metrics=["net_margin"])
    sess, truth, ids, _ = _replicated(10)
    res = simulate(sess, truth, {"control": None, "a": Arm(ids, VOCAB)}, cfg)
    assert any("net_margin skipped" in n for n in res.notes)


def test_bad_tactics_name_the_arm():
    with pytest.raises(DataError, match="'b'.*discounts"):
        simulate(SESSIONS, TRUTH, {"control": None, "b": Arm(IDS, VOCAB, discounts=np.zeros((2, 2)))},
                 SimulationConfig(n_bootstrap=0, ci_method="analytic", slots=2))
    with pytest.raises(DataError, match="fractions"):
        simulate(SESSIONS, TRUTH, {"control": None, "b": Arm(IDS, VOCAB, discounts=np.full((3, 2), 1.0))},
                 SimulationConfig(n_bootstrap=0, ci_method="analytic", slots=2))
    with pytest.raises(ConfigError, match="threshold value"):
        simulate(SESSIONS, TRUTH, {"control": None, "t": Arm(IDS, VOCAB, threshold={"value": -1.0})},
                 SimulationConfig(n_bootstrap=0, ci_method="analytic", slots=2))


def test_signed_metrics_keep_their_p_value_and_have_no_ratio():
    """Vs a no-offer control, a threshold arm's net margin can fall (a crossed line pays the fee): its
    paired p-value is not suppressed as 'non-negative by construction', and no ratio lift is shown."""
    sess, truth, ids, _ = _replicated(10)
    cfg = SimulationConfig(**SURE, metrics=["net_margin", "conversion"])
    res = simulate(sess, truth, {"control": None, "thr": Arm(ids, VOCAB, threshold={"value": 100.0, "amount": 5.0})},
                   cfg)
    cf = res.counterfactual.set_index("metric")
    assert np.isfinite(cf.loc["net_margin", "p_value"]) and cf.loc["net_margin", "p_note"] == ""
    assert np.isnan(cf.loc["conversion", "p_value"])
    assert res.lift.loc[res.lift["metric"] == "net_margin", "rel_lift"].isna().all()
    assert cf.loc["net_margin", "rel_lift"] != cf.loc["net_margin", "rel_lift"]      # NaN


def test_zero_discounts_change_nothing():
    """An arm whose discounts are all 0 gives exactly the ordinary arm's outcomes."""
    sess, truth, ids, _ = _replicated(10)
    cfg = SimulationConfig(take_rate=0.5, organic_rate=0.2, n_bootstrap=0, ci_method="analytic", margin_rate=0.3,
                           slots=2, metrics=["conversion", "order_value", "net_margin"])
    plain = simulate(sess, truth, {"control": None, "a": Arm(ids, VOCAB)}, cfg).per_session
    zero = simulate(sess, truth, {"control": None, "a": Arm(ids, VOCAB, discounts=np.zeros((30, 2)))}, cfg).per_session
    for col in ("n_accepted", "addon_revenue", "order_value", "net_margin", "discount_cost"):
        np.testing.assert_array_equal(zero[col], plain[col], err_msg=col)


def test_threshold_value_may_be_below_one():
    assert ThresholdOffer(0.5).value == 0.5
    with pytest.raises(ConfigError):
        ThresholdOffer(0.0)
