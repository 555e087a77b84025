"""Bundle guardrails: the margin floor after the discount (at fit) and the price cap relative to the cart."""

import numpy as np
import pytest

from cs_lab.data.queries import Queries
from cs_lab.models.bundle import BundleRecommender, margin_ok, price_bundles
from cs_lab.models.bundle.mine import Bundles

from tests.models.bundle.conftest import interactions


def test_price_and_margin_after_discount_by_hand():
    b = Bundles(np.array([0, 2, 5]), np.array([0, 1, 0, 1, 2]), np.array([0.1, 0.1]), np.array([2.0, 2.0]))
    price = np.array([10.0, 10.0, 20.0])
    cost = np.array([8.0, 8.0, np.nan])
    qty = np.array([1.0, 2.0, np.nan])             # typical quantities: 1, 2, unknown -> 1
    p = price_bundles(b, price, cost, qty, discount=0.1)
    # bundle 0: value 10 + 20 = 30, price 27, margin (2 + 4) - 3 = 3
    np.testing.assert_allclose([p.value[0], p.price[0], p.margin[0]], [30, 27, 3])
    # bundle 1: value 50, price 45, margin unknown (item 2 has no cost)
    np.testing.assert_allclose([p.value[1], p.price[1]], [50, 45])
    assert np.isnan(p.margin[1])
    # floor: 3 >= 0.1 x 27 passes, 3 < 0.12 x 27 fails; unknown cost passes unless blocked
    np.testing.assert_array_equal(margin_ok(p, 0.1), [True, True])
    np.testing.assert_array_equal(margin_ok(p, 0.12), [False, True])
    np.testing.assert_array_equal(margin_ok(p, 0.105), [True, True])     # 3 >= 0.105 x the price 27, not x the value 30
    np.testing.assert_array_equal(margin_ok(p, 0.12, "block"), [False, False])
    np.testing.assert_array_equal(margin_ok(p, None, "block"), [True, True])


def _two_pairs():
    """Pairs (A, B) and (C, D), each bought together in 30 of 120 baskets. A, B: price 10, cost 9
    (10% item margin); C, D: price 10, cost 5 (50%)."""
    baskets = []
    for i in range(120):
        if i % 4 == 0:
            baskets.append(["A", "B", f"x{i % 5}"])
        elif i % 4 == 1:
            baskets.append(["C", "D", f"x{i % 5}"])
        else:
            baskets.append([f"x{i % 5}", f"x{(i + 1) % 5}"])
    price = {"A": 10.0, "B": 10.0, "C": 10.0, "D": 10.0, **{f"x{i}": 1.0 for i in range(5)}}
    cost = {"A": 9.0, "B": 9.0, "C": 5.0, "D": 5.0, **{f"x{i}": 0.5 for i in range(5)}}
    return interactions(baskets, price, cost)


def _bundle_names(m):
    ids = m.items_.ids
    return {tuple(sorted(ids[m.bundles.bundle(b)].tolist())) for b in range(len(m.bundles))}


def test_margin_floor_applies_after_the_discount():
    train = _two_pairs()
    # A+B: margin 2 before the discount, 2 - 0.15 x 20 = -1 after it: below a floor of 0 -> dropped
    m = BundleRecommender(min_support=0.1, min_lift=1.0, discount=0.15, margin_floor=0.0).fit(train)
    assert ("A", "B") not in _bundle_names(m) and ("C", "D") in _bundle_names(m)
    # with a 5% discount A+B keeps 2 - 1 = 1 >= 0 x 19
    m = BundleRecommender(min_support=0.1, min_lift=1.0, discount=0.05, margin_floor=0.0).fit(train)
    assert {("A", "B"), ("C", "D")} <= _bundle_names(m)
    # the floor off: every bundle stays
    m = BundleRecommender(min_support=0.1, min_lift=1.0, discount=0.15, margin_floor=None).fit(train)
    assert ("A", "B") in _bundle_names(m)


def test_price_cap_relative_to_the_cart():
    train = _two_pairs()
    ids = train.items.ids.tolist()
    a, x0 = ids.index("A"), ids.index("x0")
    queries = Queries.from_lists([[a], [a, x0]], train.n_items, ids=np.array(["a", "a+x"]))
    # offering B costs 0.9 x 10 = 9; cart values 10 and 11 (the second cart may get an x-pair instead)
    for cap, b_offered in ((1.0, [1, 1]), (0.85, [0, 1]), (0.5, [0, 0])):
        m = BundleRecommender(min_support=0.1, min_lift=1.0, discount=0.1, margin_floor=None,
                              price_cap=cap, fallback="none").fit(train)
        recs, _ = m.recommend(queries, 3)
        o = m.offers(queries, recs)
        for row, got in zip(recs, b_offered):
            assert (row[0] == ids.index("B")) == bool(got), f"cap {cap}"
        assert o.size[0] == b_offered[0]          # cart {A} has no other bundle
        assert (o.price[o.size > 0] <= cap * np.array([10.0, 11.0])[o.size > 0] + 1e-9).all()


def test_bundle_with_an_unpriced_item_is_never_offered():
    train = _two_pairs()
    ids = train.items.ids.tolist()
    train.item_price[ids.index("B")] = np.nan
    m = BundleRecommender(min_support=0.1, min_lift=1.0, margin_floor=None, price_cap=None).fit(train)
    assert ("A", "B") not in _bundle_names(m) and ("C", "D") in _bundle_names(m)
