"""The threshold re-ranker: the gap rule on hand-made data and the fall-back over T (contract: test_contract.py)."""

import numpy as np
import pandas as pd
import pytest

from cs_lab.data import schema as S
from cs_lab.data.interactions import Interactions
from cs_lab.data.queries import Queries
from cs_lab.errors import ConfigError
from cs_lab.models import registry
from cs_lab.models.threshold import Threshold
from cs_lab.models.threshold.gap import gap_fit


def _lines() -> pd.DataFrame:
    """Items A..E with known prices (quantity 1); popularity A > B > C > D > E (A in every basket)."""
    price = {"A": 80.0, "B": 5.0, "C": 20.0, "D": 60.0, "E": 300.0}
    counts = {"A": 10, "B": 9, "C": 8, "D": 7, "E": 6}
    rows = []
    for b in range(10):
        for item, c in counts.items():
            if b < c:
                rows.append({S.BASKET: f"b{b}", S.CUSTOMER: f"c{b}", S.ITEM: item, S.QUANTITY: 1.0,
                             S.UNIT_PRICE: price[item], S.VALUE: price[item],
                             S.TIMESTAMP: pd.Timestamp("2024-01-01") + pd.Timedelta(days=b)})
    return pd.DataFrame(rows)


def _fit(**kw) -> Threshold:
    return Threshold(base={"model": "popularity"}, **kw).fit(Interactions.from_lines(_lines()))


def _cart(model, items):
    return Queries.from_lists([[model.items_.index(np.array(items))[i] for i in range(len(items))]],
                              model.n_items)


def test_picks_the_item_that_closes_a_known_gap():
    # cart {A} is worth 80, T = 100: gap 20. C (20) closes it exactly; D (60) overshoots by 40; E (300)
    # by 280; B (5) does not close it. Popularity alone would rank B first.
    m = _fit(threshold={"value": 100.0}, weight=0.5, tolerance=0.5)
    ids, _ = m.recommend(_cart(m, ["A"]), k=4)
    got = list(m.items_.ids[ids[0]])
    assert got[0] == "C"
    # at weight 0.5 the popular non-closer B (base 1, fit 0.25) still beats D (base 1/3, fit 1.02)
    assert got == ["C", "B", "D", "E"]
    base = m.subs_["base"].recommend(_cart(m, ["A"]), k=4)[0]
    assert list(m.items_.ids[base[0]]) == ["B", "C", "D", "E"]


def test_gap_only_orders_closers_by_overshoot():
    m = _fit(threshold={"value": 100.0}, weight=1.0)
    ids, _ = m.recommend(_cart(m, ["A"]), k=4)
    assert list(m.items_.ids[ids[0]]) == ["C", "D", "E", "B"]   # exact close, +40, +280, no close


def test_cart_over_threshold_keeps_the_base_ranking():
    m = _fit(threshold={"value": 50.0})          # cart {A} = 80 >= 50
    q = _cart(m, ["A"])
    ids, scores = m.recommend(q, k=4)
    bids, bscores = m.subs_["base"].recommend(q, k=4)
    np.testing.assert_array_equal(ids, bids)
    np.testing.assert_allclose(scores, bscores)


def test_cart_exactly_at_threshold_keeps_the_base_ranking():
    m = _fit(threshold={"value": 80.0})          # cart {A} = 80 = T: nothing to close
    q = _cart(m, ["A"])
    (ids, scores), (bids, bscores) = m.recommend(q, k=4), m.subs_["base"].recommend(q, k=4)
    np.testing.assert_array_equal(ids, bids)
    np.testing.assert_allclose(scores, bscores)


def test_weight_zero_is_the_base_ranking():
    m = _fit(threshold={"value": 100.0}, weight=0.0)
    q = _cart(m, ["A"])
    np.testing.assert_array_equal(m.recommend(q, k=4)[0], m.subs_["base"].recommend(q, k=4)[0])


def test_candidates_limit_which_items_are_promoted():
    # only the base top-1 (B) is a candidate: C cannot be promoted above it
    m = _fit(threshold={"value": 100.0}, candidates=1, weight=1.0)
    ids, _ = m.recommend(_cart(m, ["A"]), k=4)
    assert list(m.items_.ids[ids[0]]) == ["B", "C", "D", "E"]


def test_gap_fit_values():
    fit = gap_fit(np.array([5.0, 20.0, 60.0, np.nan]), np.array([20.0]), tolerance=0.5)[0]
    np.testing.assert_allclose(fit, [0.25, 2.0, 1.0 + np.exp(-4.0), 0.0])


def test_threshold_offer_and_state_round_trip(tmp_path):
    m = _fit(threshold={"value": 100.0, "benefit": "tier_discount", "amount": 0.1})
    assert m.threshold_offer == {"value": 100.0, "benefit": "tier_discount", "amount": 0.1}
    m.save(tmp_path)
    back = Threshold.load(tmp_path)
    q = _cart(m, ["A"])
    np.testing.assert_array_equal(back.recommend(q, 4)[0], m.recommend(q, 4)[0])
    np.testing.assert_allclose(back.cart_value(q), [80.0])


@pytest.mark.parametrize("bad, key", [({"value": 0}, "threshold.value"),
                                      ({"value": 10, "benefit": "tier_discount", "amount": 1.5}, "threshold"),
                                      ({"value": 10, "fee": 3}, "threshold.fee")])
def test_bad_threshold_names_the_key(bad, key):
    with pytest.raises(ConfigError, match=key.replace(".", r"\.")):
        registry.build({"model": "threshold", "base": {"model": "popularity"}, "threshold": bad})


def test_bad_base_names_the_key():
    with pytest.raises(ConfigError, match=r"base"):
        registry.build({"model": "threshold", "base": {"model": "nope"}, "threshold": {"value": 10}})


def test_unclosable_gap_keeps_the_base_ranking_unless_asked():
    # cart {B} = 5, T = 1000: no single item closes the gap of 995
    m = _fit(threshold={"value": 1000.0}, weight=1.0)
    ids, _ = m.recommend(_cart(m, ["B"]), k=4)
    assert list(m.items_.ids[ids[0]]) == ["A", "C", "D", "E"]          # popularity order
    m = _fit(threshold={"value": 1000.0}, weight=1.0, only_closable=False)
    ids, _ = m.recommend(_cart(m, ["B"]), k=4)
    assert list(m.items_.ids[ids[0]]) == ["E", "A", "D", "C"]          # progress a / gap


def test_scores_of_a_rerank_by_hand():
    # cart {A} = 80, T = 85: gap 5, B (5) closes it exactly (fit 2). Only B is a candidate: its base
    # score normalises to 1 over the one candidate, so 2 + 0.5 x 1 + 0.5 x 2 / 2 = 3
    m = _fit(threshold={"value": 85.0}, candidates=1, weight=0.5)
    ids, scores = m.recommend(_cart(m, ["A"]), k=2)
    assert m.items_.ids[ids[0, 0]] == "B"
    assert scores[0, 0] == pytest.approx(3.0)


def test_a_gap_below_one_unit_is_still_closed():
    # gap 0.5: the scores are the re-ranked ones (>= 2), not popularity counts
    m = _fit(threshold={"value": 80.5})
    _, scores = m.recommend(_cart(m, ["A"]), k=4)
    assert (scores[0] >= 2.0).all() and (scores[0] < 3.0).all()
