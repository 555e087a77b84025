"""Off-policy estimators vs Open Bandit Pipeline.

Route: obp 0.4.1 could not go into the project environment (it imports torch and was built
against old NumPy/pandas), so the reference numbers below were produced by obp itself in a
throwaway virtualenv (NumPy 1.26, pandas 2.2, torch replaced by an import stub; obp's NumPy code
paths never call torch) by tests/simulate/obp_reference.py on the inputs of _ope_data.py.
The fingerprints pin those inputs. The tiny example is worked by hand from OBP's formulas.
"""

import numpy as np
import pytest

from cs_lab.errors import DataError
from cs_lab.simulate import LoggedFeedback, dm, dr, estimate_policy_value, ips, snips
from cs_lab.simulate.ope import importance_weights
from tests.simulate._ope_data import fingerprint, logged_feedback

OBP_REFERENCE = {  # obp 0.4.1 InverseProbabilityWeighting, SelfNormalized..., DirectMethod, DoublyRobust
    "with_positions": {
        "fingerprint": {"action": 1015.0, "action_dist": 1200.0,
                        "estimated_rewards_by_reg_model": 2967.9344106776866, "position": 405.0,
                        "pscore": 99.0496948869145, "reward": 166.0},
        "obp": {"ips": 0.4167415709491219, "snips": 0.4035796960805558, "dm": 0.40919671296319665,
                "dr": 0.40836055720117315}},
    "no_positions": {
        "fingerprint": {"action": 1015.0, "action_dist": 400.0,
                        "estimated_rewards_by_reg_model": 982.2525549630868, "position": 0.0,
                        "pscore": 99.0496948869145, "reward": 166.0},
        "obp": {"ips": 0.4541647935542143, "snips": 0.41558066603070015, "dm": 0.40641617240304995,
                "dr": 0.4244036298930013}},
}


@pytest.mark.parametrize("case", ["with_positions", "no_positions"])
def test_equals_open_bandit_pipeline(case):
    ref = OBP_REFERENCE[case]
    d = logged_feedback(**({"len_list": 1} if case == "no_positions" else {}))
    for k, v in ref["fingerprint"].items():
        assert fingerprint(d)[k] == pytest.approx(v, rel=1e-12), f"input {k} drifted; rerun obp_reference.py"
    pos = d["position"] if case == "with_positions" else None
    pi, q = d["action_dist"], d["estimated_rewards_by_reg_model"]
    if case == "no_positions":  # also accept the simpler (n_rounds, n_actions) layout
        pi, q = pi[:, :, 0], q[:, :, 0]
    args = (d["reward"], d["action"], d["pscore"], pi)
    got = {"ips": ips(*args, position=pos), "snips": snips(*args, position=pos), "dm": dm(pi, q, position=pos),
           "dr": dr(*args, q, position=pos)}
    for k, v in ref["obp"].items():
        assert got[k] == pytest.approx(v, rel=1e-12, abs=1e-15), k
    table = estimate_policy_value(LoggedFeedback(d["action"], d["reward"], d["pscore"], pos), pi, q)
    np.testing.assert_allclose(table.set_index("estimator")["value"].reindex(["ips", "snips", "dm", "dr"]),
                               [ref["obp"][k] for k in ("ips", "snips", "dm", "dr")], rtol=1e-12)


def test_hand_worked_example():
    # 3 rounds, 2 actions; logged actions 0, 1, 1 with propensities .5, .25, .5; rewards 1, 0, 1
    reward, action, pscore = np.array([1.0, 0.0, 1.0]), np.array([0, 1, 1]), np.array([0.5, 0.25, 0.5])
    pi_e = np.array([[0.2, 0.8], [0.6, 0.4], [0.0, 1.0]])
    q = np.array([[0.5, 0.3], [0.2, 0.1], [0.4, 0.9]])
    w = np.array([0.2 / 0.5, 0.4 / 0.25, 1.0 / 0.5])                # 0.4, 1.6, 2.0
    np.testing.assert_allclose(importance_weights(action, pscore, pi_e), w)
    assert ips(reward, action, pscore, pi_e) == pytest.approx((0.4 + 0 + 2.0) / 3)          # 0.8
    assert snips(reward, action, pscore, pi_e) == pytest.approx(2.4 / 4.0)                  # 0.6
    dm_rounds = np.array([0.2 * 0.5 + 0.8 * 0.3, 0.6 * 0.2 + 0.4 * 0.1, 0.9])             # .34, .16, .9
    assert dm(pi_e, q) == pytest.approx(dm_rounds.mean())
    correction = w * (reward - np.array([0.5, 0.1, 0.9]))                                  # .2, -.16, .2
    assert dr(reward, action, pscore, pi_e, q) == pytest.approx(dm_rounds.mean() + correction.mean())


def test_dr_is_unbiased_when_the_reward_model_is_exact_and_estimators_agree_at_scale():
    rng = np.random.default_rng(0)
    n, k = 200_000, 4
    pi_b = rng.dirichlet(np.ones(k), n)
    a = (pi_b.cumsum(1) < rng.random(n)[:, None]).sum(1).clip(max=k - 1)
    q = rng.random((n, k)) * 0.5
    r = (rng.random(n) < q[np.arange(n), a]).astype(float)
    pi_e = rng.dirichlet(np.ones(k), n)
    truth = float((pi_e * q).sum(1).mean())
    est = estimate_policy_value(LoggedFeedback(a, r, pi_b[np.arange(n), a]), pi_e, q)
    assert est.set_index("estimator").loc["dm", "value"] == pytest.approx(truth)
    for _, row in est.iterrows():
        assert row["ci_low"] - 0.01 < truth < row["ci_high"] + 0.01, row["estimator"]
    assert 0 < est["ess"].iloc[0] <= n


def test_bad_inputs():
    pi = np.array([[0.5, 0.5]])
    with pytest.raises(DataError, match="pscore"):
        ips([1.0], [0], [0.0], pi)
    with pytest.raises(DataError, match="sum to 1"):
        ips([1.0], [0], [0.5], np.array([[0.5, 0.6]]))
    with pytest.raises(DataError, match="action"):
        ips([1.0], [2], [0.5], pi)
    with pytest.raises(DataError, match="position"):
        ips([1.0], [0], [0.5], pi, position=[1])
