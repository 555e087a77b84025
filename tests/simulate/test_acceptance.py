import numpy as np
import pandas as pd
import pytest

from cs_lab.simulate import SessionSet, SimulationConfig, simulate
from cs_lab.simulate.acceptance import line_uniforms, offer_positions, simulate_outcomes
from cs_lab.simulate.arms import encode_arm
from tests.simulate.conftest import miss_recs, oracle_recs

NOBOOT = {"n_bootstrap": 0, "ci_method": "analytic"}


def _all_in(ss, codes, cfg):
    """Outcomes with every session in arm 0 (the given offers)."""
    return simulate_outcomes(ss, np.zeros(len(ss), np.int64), [codes], cfg)


def test_offers_of_non_hidden_items_are_never_accepted(syn):
    cfg = SimulationConfig(take_rate=1.0, examination="uniform", organic_rate=0.0, **NOBOOT)
    res = simulate(syn.sessions, syn.truth, {"control": None, "miss": miss_recs(syn)}, cfg)
    per = res.per_session
    assert per["n_accepted"].sum() == 0 and per["n_addons"].sum() == 0
    assert (per.loc[per["arm"] == "miss", "n_offered"] == 5).all()
    assert res.arms.set_index("arm").loc["miss", "offer_conversion"] == 0


def test_accepted_items_are_hidden_items_and_count_once(syn):
    ss = SessionSet.from_frames(syn.sessions, syn.truth)
    cfg = SimulationConfig(take_rate=1.0, examination="uniform", organic_rate=1.0, **NOBOOT)
    recs = oracle_recs(syn)
    recs[:, 1] = recs[:, 0]  # the same item twice: still one acceptance
    out = _all_in(ss, encode_arm(recs, ss, 5), cfg)
    # take_rate = 1 and uniform examination: the offered hidden item is always accepted via the offer;
    # every hidden item is bought organically anyway (organic_rate = 1), so nothing is incremental;
    # nothing is counted twice
    np.testing.assert_array_equal(out["n_accepted"], np.ones(len(ss)))
    np.testing.assert_array_equal(out["n_addons"], ss.n_hidden)
    np.testing.assert_array_equal(out["n_organic"], ss.n_hidden)
    np.testing.assert_array_equal(out["n_incremental"], np.zeros(len(ss)))
    assert not out["incremental_converted"].any()
    np.testing.assert_allclose(out["addon_revenue"], np.bincount(ss.line_session, ss.line_value))


def test_control_is_realistic_organic_purchases(syn):
    cfg = SimulationConfig(organic_rate=0.2, **NOBOOT)
    res = simulate(syn.sessions, syn.truth, {"control": None, "miss": miss_recs(syn)}, cfg)
    control = res.arms.set_index("arm").loc["control"]
    assert control["conversion"] > 0.15 and control["revenue_per_session"] > 0
    # expected control conversion: mean over sessions of 1 - (1 - r)^n_hidden
    n_hidden = res.per_session.loc[res.per_session["arm"] == "control", "n_hidden"]
    expected = float(np.mean(1 - 0.8 ** n_hidden))
    sd = np.sqrt(expected * (1 - expected) / control["n"])
    assert abs(control["conversion"] - expected) < 4 * sd


def test_acceptance_follows_the_examination_curve(syn):
    ss = SessionSet.from_frames(syn.sessions, syn.truth)
    cfg = SimulationConfig(take_rate=0.5, examination="geometric", gamma=0.5, slots=3, organic_rate=0.0, **NOBOOT)
    rates = []
    for slot in range(3):
        recs = np.full((len(ss), 3), None, dtype=object)
        recs[:, slot] = oracle_recs(syn)[:, 0]
        rates.append(_all_in(ss, encode_arm(recs, ss, 3), cfg)["n_accepted"].mean())
    expected = 0.5 * 0.5 ** np.arange(3)
    assert np.all(np.abs(np.array(rates) - expected) < 4 * np.sqrt(expected * (1 - expected) / len(ss)))


def test_offers_only_add_purchases_common_random_numbers(syn):
    """Same draws in every arm: a session buys under an offer everything it buys without one."""
    ss = SessionSet.from_frames(syn.sessions, syn.truth)
    cfg = SimulationConfig(organic_rate=0.3, take_rate=0.6, **NOBOOT)
    u = line_uniforms(ss, cfg.seed)
    zero = np.zeros(len(ss), np.int64)
    none = simulate_outcomes(ss, zero, [None], cfg, u)
    offer = simulate_outcomes(ss, zero, [encode_arm(oracle_recs(syn), ss, 5)], cfg, u)
    assert (offer["n_addons"] >= none["n_addons"]).all()
    assert (offer["addon_revenue"] >= none["addon_revenue"] - 1e-9).all()
    assert offer["n_addons"].sum() > none["n_addons"].sum()


def test_offer_positions_first_slot_wins():
    codes = np.array([[3, 1, 3, -2], [-2, -2, -2, -2]])
    pos = offer_positions(codes, np.array([0, 0, 0, 1]), np.array([1, 3, 7, 3]))
    assert pos.tolist() == [2, 1, 0, 0]


def test_recommendation_formats_agree(syn):
    from cs_lab.simulate import Arm

    ss = SessionSet.from_frames(syn.sessions, syn.truth)
    vocab = np.array(sorted(set(syn.truth["item_id"]) | {"X1", "X2"}), dtype=object)
    rng = np.random.default_rng(0)
    idx = rng.integers(0, len(vocab), (len(ss), 4))
    idx[::7, 3] = -1
    as_arm = encode_arm(Arm(idx, items=vocab), ss, 4)
    strings = np.where(idx >= 0, vocab[np.maximum(idx, 0)], None)
    as_str = encode_arm(strings, ss, 4)
    r, c = np.nonzero(idx >= 0)
    long = pd.DataFrame({"query_id": ss.ids[r], "item_id": vocab[idx[r, c]], "rank": c + 1})
    as_long = encode_arm(long.sample(frac=1.0, random_state=0), ss, 4)
    np.testing.assert_array_equal(as_arm, as_str)
    np.testing.assert_array_equal(as_arm, as_long)
    assert encode_arm((strings, np.zeros(strings.shape)), ss, 4).tolist() == as_str.tolist()
    padded = strings.copy()
    padded[::7, 3] = ""
    padded[1::7, 3] = np.nan
    enc = encode_arm(padded, ss, 4)
    assert (enc[::7, 3] == -2).all() and (enc[1::7, 3] == -2).all()
    # more columns than slots are cut, fewer are padded
    assert encode_arm(strings, ss, 2).shape == (len(ss), 2)
    assert (encode_arm(strings[:, :1], ss, 3)[:, 1:] == -2).all()


def test_bad_recommendations_are_explained(syn):
    ss = SessionSet.from_frames(syn.sessions, syn.truth)
    from cs_lab.errors import DataError

    with pytest.raises(DataError, match="rows for"):
        encode_arm(np.array([["a"]] * 3, dtype=object), ss, 5)
    with pytest.raises(DataError, match="Arm"):
        encode_arm(np.zeros((len(ss), 2), dtype=np.int64), ss, 5)
    with pytest.raises(DataError, match="rank"):
        encode_arm(pd.DataFrame({"query_id": ["Q0"], "item_id": ["x"]}), ss, 5)
