"""The OPE pipeline on synthetic logs whose evaluation-policy value is known (see _synthetic.py)."""

import numpy as np
import pytest

from cs_lab.errors import DataError
from cs_lab.simulate.ope import dm, dr, ips, snips
from cs_lab.simulate.ope.pipeline import OpeConfig, evaluate_policy, wilson
from cs_lab.simulate.ope.policy import action_distribution, support_check
from cs_lab.simulate.ope.reward_model import RewardModelConfig
from tests.simulate.ope._synthetic import logs, pi_e_default, true_value

FAST = OpeConfig(n_boot=100, reward_model=RewardModelConfig(n_folds=3))


@pytest.mark.slow
def test_ips_and_dr_unbiased_and_covering_over_seeds():
    """Over 16 seeds: the mean error of IPS and DR is within 3 standard errors of 0 and their 95%
    intervals cover the true value in at least 12 of 16 runs (binomial(16, .95) >= 12 w.p. > 0.99)."""
    truth = true_value(pi_e_default(8))
    err = {"ips": [], "dr": [], "snips": []}
    cover = {k: 0 for k in err}
    for seed in range(16):
        b, t, _ = logs(seed)
        res = evaluate_policy(b, t, FAST.model_copy(update={"seed": seed}))
        for e in res.estimates:
            if e["estimator"] in err:
                err[e["estimator"]].append(e["value"] - truth)
                cover[e["estimator"]] += e["ci_low"] <= truth <= e["ci_high"]
    for k, v in err.items():
        v = np.asarray(v)
        assert abs(v.mean()) < 3 * v.std(ddof=1) / np.sqrt(len(v)) + 1e-4, (k, v.mean(), v.std())
        assert cover[k] >= 12, (k, cover[k])


def test_point_estimates_equal_the_obp_checked_estimators():
    """Pipeline point values (vectorised, per slot) == estimators.py (checked against obp) on the same inputs."""
    b, t, _ = logs(3)
    res = evaluate_policy(b, t, FAST)
    from cs_lab.simulate.ope.reward_model import build_design, cross_fit

    design = build_design(b.user, b.item_context, b.position, b.affinity, 3, False)
    cf = cross_fit(design, b.action, b.reward, FAST.reward_model, FAST.seed)
    n = b.n_rounds
    pi = np.broadcast_to(res.pi[None], (n, *res.pi.shape))
    q = np.repeat(cf.q[:, :, None], 3, axis=2)
    args = (b.reward, b.action, b.pscore, pi)
    want = {"ips": ips(*args, position=b.position), "snips": snips(*args, position=b.position),
            "dm": dm(pi, q, position=b.position), "dr": dr(*args, q, position=b.position)}
    got = {e["estimator"]: e["value"] for e in res.estimates}
    for k in want:
        assert got[k] == pytest.approx(want[k], rel=1e-10), k


def test_on_policy_interval_is_wilson_and_estimates_sit_in_their_intervals():
    b, t, _ = logs(5)
    res = evaluate_policy(b, t, FAST)
    lo, hi = wilson(t.clicks, t.n_rounds)
    assert (res.on_policy["ci_low"], res.on_policy["ci_high"]) == (lo, hi)
    assert lo < t.ctr < hi
    for e in res.estimates:
        assert e["ci_low"] <= e["value"] <= e["ci_high"]
        assert e["overlaps_on_policy"] == (e["ci_low"] <= hi and lo <= e["ci_high"])


def test_dm_interval_carries_the_click_models_noise():
    """DM's level is set by a model fitted on the Random log's clicks, so its relative interval
    cannot be much narrower than that of the Random log's own CTR (the model's noise is in it)."""
    b, t, _ = logs(5)
    res = evaluate_policy(b, t, FAST)
    e = next(e for e in res.estimates if e["estimator"] == "dm")
    lo, hi = wilson(b.clicks, b.n_rounds)
    assert (e["ci_high"] - e["ci_low"]) / e["value"] > 0.7 * (hi - lo) / b.ctr


def test_wilson_matches_textbook_value():
    # 40 of 10,000 at 95%: Wilson interval by hand (z = 1.959964)
    z = 1.959963984540054
    p, n = 0.004, 10_000
    mid = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    assert wilson(40, n) == pytest.approx((mid - half, mid + half), rel=1e-12)
    sm = pytest.importorskip("statsmodels.stats.proportion")   # an independent implementation
    assert wilson(40, n) == pytest.approx(sm.proportion_confint(40, n, method="wilson"), rel=1e-10)


def test_support_check_flags_cells_the_logging_log_never_shows():
    b, t, pi = logs(1)
    keep = ~((b.action == 7) & (b.position == 0))     # the Random log never shows item 7 in slot 1
    res_ok = support_check(pi, b.action, b.position, b.pscore)
    assert res_ok.ok and res_ok.unsupported_mass == 0
    s = support_check(pi, b.action[keep], b.position[keep], b.pscore[keep])
    assert s.cells == [(7, 1)]
    share0 = np.mean(b.position[keep] == 0)
    assert s.unsupported_mass == pytest.approx(pi[7, 0] * share0)
    assert not s.ok


def test_pipeline_reports_missing_support():
    b, t, _ = logs(2)
    drop = (b.action == 7) & (b.position == 0)
    for f in ("action", "position", "reward", "pscore", "timestamp", "affinity"):
        setattr(b, f, getattr(b, f)[~drop])
    b.user = b.user[~drop].reset_index(drop=True)
    res = evaluate_policy(b, t, FAST)
    assert not res.support.ok and (7, 1) in res.support.cells
    assert "NOT every" in res.summary()


def test_clipping_caps_weights_and_lowers_ips():
    b, t, _ = logs(4)
    free = evaluate_policy(b, t, FAST)
    pi = free.pi
    w = pi[b.action, b.position] / b.pscore
    W = float(np.quantile(w[b.reward > 0], 0.5))
    clipped = evaluate_policy(b, t, FAST.model_copy(update={"clip": W}))
    v = {e["estimator"]: e["value"] for e in clipped.estimates}
    v0 = {e["estimator"]: e["value"] for e in free.estimates}
    assert v["ips"] == pytest.approx(np.mean(np.minimum(w, W) * b.reward), rel=1e-12)
    assert v["ips"] < v0["ips"]
    assert v["dm"] == pytest.approx(v0["dm"], rel=1e-12)      # DM has no weights
    assert clipped.weights["max"] == pytest.approx(W)
    assert clipped.weights["share_clipped"] == pytest.approx(np.mean(w > W))
    huge = evaluate_policy(b, t, FAST.model_copy(update={"clip": 1e9}))
    assert {e["estimator"]: e["value"] for e in huge.estimates} == pytest.approx(v0, rel=1e-12)


def test_action_distribution_frequency_and_pscore():
    a = np.array([0, 0, 1, 2, 1, 1])
    k = np.array([0, 0, 0, 0, 1, 1])
    p = np.array([0.5, 0.7, 0.2, 0.1, 0.9, 0.8])
    freq = action_distribution(a, k, 3, 2)
    np.testing.assert_allclose(freq[:, 0], [0.5, 0.25, 0.25])
    np.testing.assert_allclose(freq[:, 1], [0, 1, 0])
    ps = action_distribution(a, k, 3, 2, "pscore", p)
    np.testing.assert_allclose(ps[:, 0], np.array([0.6, 0.2, 0.1]) / 0.9)
    boot = action_distribution(a, k, 3, 2, weights=np.array([2, 0, 1, 1, 1, 1]))
    np.testing.assert_allclose(boot[:, 0], [0.5, 0.25, 0.25])
    with pytest.raises(DataError, match="slot"):
        action_distribution(a[k == 0], k[k == 0], 3, 2)


def test_frequency_recovers_a_known_policy():
    b, t, pi = logs(6, n=20_000)
    est = action_distribution(t.action, t.position, 8, 3)
    assert np.abs(est - pi).max() < 0.03


def test_same_config_same_numbers():
    b, t, _ = logs(7)
    r1, r2 = evaluate_policy(b, t, FAST), evaluate_policy(b, t, FAST)
    assert r1.to_dict() == r2.to_dict()


def test_mismatched_logs_are_refused():
    b, _, _ = logs(8, n_items=8)
    _, t, _ = logs(8, n_items=6)
    with pytest.raises(DataError, match="action spaces"):
        evaluate_policy(b, t, FAST)
