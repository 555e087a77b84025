"""Slot examination ratios from a uniform-random log, and the priors written from them."""

import numpy as np
import pytest

from cs_lab.errors import DataError
from cs_lab.simulate.ope.examination import examination_priors, examination_ratios, examination_table
from cs_lab.simulate.priors import load_priors
from tests.simulate.ope._synthetic import EXAM, logs


def test_ratios_recover_the_examination_curve_and_cover_it():
    covered = np.zeros(2)
    for seed in range(20):
        b, _, _ = logs(seed, n=6000)
        rows = examination_table([b])["pooled"]
        for i, r in enumerate(rows):
            covered[i] += r["ci_low"] <= EXAM[i + 1] / EXAM[0] <= r["ci_high"]
    assert (covered >= 16).all(), covered            # nominal 95% of 20: >= 16 w.p. > 0.99


def test_ratio_and_delta_method_by_hand():
    rounds = np.array([1000.0, 1000.0, 1000.0])
    clicks = np.array([40.0, 20.0, 10.0])
    r2, r3 = examination_ratios(rounds, clicks)
    assert r2["ratio"] == pytest.approx(0.5) and r3["ratio"] == pytest.approx(0.25)
    se = np.sqrt(0.98 / 20 + 0.96 / 40)
    assert r2["se_log"] == pytest.approx(se)
    assert r2["ci_low"] == pytest.approx(0.5 * np.exp(-1.959963984540054 * se))
    with pytest.raises(DataError, match="no click"):
        examination_ratios(rounds, np.array([40.0, 0.0, 3.0]))


def test_delta_method_se_agrees_with_a_bootstrap():
    b, _, _ = logs(0, n=6000)
    se = examination_table([b])["pooled"][0]["se_log"]
    rng = np.random.default_rng(0)
    logs_ = []
    for _ in range(400):
        i = rng.integers(0, b.n_rounds, b.n_rounds)
        n = np.bincount(b.position[i], minlength=3)
        c = np.bincount(b.position[i], weights=b.reward[i], minlength=3)
        logs_.append(np.log((c[1] / n[1]) / (c[0] / n[0])))
    assert se == pytest.approx(np.std(logs_), rel=0.15)


def test_priors_are_valid_and_pooled(tmp_path):
    b, _, _ = logs(1, n=6000)
    b2, _, _ = logs(2, n=6000)
    b2.campaign = "other"
    priors = examination_priors([b, b2])
    assert [p.name for p in priors] == ["slot_examination.1", "slot_examination.2", "slot_examination.3"]
    assert priors[0].value == 1.0 and priors[0].distribution == "fixed"
    pooled = examination_table([b, b2])["pooled"]
    for p, row in zip(priors[1:], pooled):
        assert p.distribution == "lognormal" and p.value == row["ratio"]
        assert p.se / p.value == pytest.approx(row["se_log"])          # the lognormal's sd of log
        assert "retail cross-sell carousel" in p.identifies
    from cs_lab.simulate.priors import save_priors
    loaded = load_priors(save_priors(priors, tmp_path / "ob.json"))
    assert loaded["slot_examination.2"] == priors[1]


def test_non_uniform_log_is_refused():
    _, t, _ = logs(3)
    with pytest.raises(DataError, match="uniform-random"):
        examination_table([t])
