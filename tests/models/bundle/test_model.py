"""The bundle recommender's lists: the leading slots are the best bundle that completes the cart,
and offers / slot_discounts say so."""

import numpy as np
import pytest

from cs_lab.data.queries import Queries
from cs_lab.errors import ConfigError, DataError
from cs_lab.models import registry
from cs_lab.models.base import Recommender
from cs_lab.models.bundle import BundleRecommender

from tests.models.bundle.conftest import interactions, triple_baskets


@pytest.fixture(scope="module")
def fitted():
    baskets, price, category = triple_baskets()
    train = interactions(baskets, price, category=category)
    m = BundleRecommender(min_support=0.05, min_lift=2.0, discount=0.2, price_cap=None).fit(train)
    return m, train


def _q(train, carts):
    ids = train.items.ids.tolist()
    return Queries.from_lists([[ids.index(i) for i in c] for c in carts], train.n_items,
                              ids=np.array([f"q{i}" for i in range(len(carts))]))


def test_cart_is_completed_with_the_triple(fitted):
    m, train = fitted
    names = train.items.ids
    q = _q(train, [["A"], ["B", "C"], ["n3"], []])
    ids, scores = m.recommend(q, 5)
    assert set(names[ids[0, :2]]) == {"B", "C"}          # A -> the rest of A, B, C
    assert names[ids[1, 0]] == "A"                       # B, C -> A
    o = m.offers(q, ids)
    np.testing.assert_array_equal(o.size[:2], [2, 1])
    np.testing.assert_allclose(o.discount[:2], 0.2)
    assert o.size[3] == 0 and (ids[3] >= 0).all()          # empty cart: no bundle, popular items
    # the triple's price after the discount: (1 - 0.2) x the missing items' prices (B 6, C 7)
    assert o.price[0] == pytest.approx(0.8 * (6 + 7))
    d = m.slot_discounts(ids)
    np.testing.assert_allclose(d[0], [0.2, 0.2, 0, 0, 0])
    np.testing.assert_allclose(d[1], [0.2, 0, 0, 0, 0])
    np.testing.assert_allclose(d[3], 0)
    np.testing.assert_allclose(m.slot_discounts(ids, queries=q), d)
    np.testing.assert_allclose(m.slot_discounts(ids[:, :1]), np.where(o.size[:, None] == 1, 0.2, 0.0) * (d[:, :1] > 0))


def test_bundle_items_ordered_by_popularity(fitted):
    m, train = fitted
    ids, _ = m.recommend(_q(train, [["C"]]), 3)
    # B is in 54 training baskets, A in 53: B leads although A has the lower index
    assert train.items.ids[ids[0, :2]].tolist() == ["B", "A"]


def test_offer_leads_other_bundles_then_popular_items():
    baskets, price, category = triple_baskets()
    train = interactions(baskets, price)            # no categories: the substitutes D, E are a bundle too
    m = BundleRecommender(min_support=0.05, min_lift=2.0, price_cap=None).fit(train)
    names = train.items.ids
    ids, scores = m.recommend(_q(train, [["A", "D"]]), 6)
    assert set(names[ids[0, :2]]) == {"B", "C"} and names[ids[0, 2]] == "E"
    # the documented score bands: offered >= 3, other bundles in (1, 2), popular items < 1
    assert (scores[0, :2] >= 3).all() and 1 < scores[0, 2] < 2 and (scores[0, 3:] < 1).all()


def test_slot_discounts_of_other_ids_need_queries(fitted):
    m, train = fitted
    q = _q(train, [["A"]])
    ids, _ = m.recommend(q, 5)
    with pytest.raises(ConfigError, match="queries="):
        m.slot_discounts(ids[:, ::-1].copy())


def test_offer_survives_save_and_load(fitted, tmp_path):
    m, train = fitted
    q = _q(train, [["A"], ["C"], ["D"]])
    ids, _ = m.recommend(q, 4)
    loaded = Recommender.load(m.save(tmp_path / "m"))
    ids2, _ = loaded.recommend(q, 4)
    np.testing.assert_array_equal(ids, ids2)
    np.testing.assert_array_equal(loaded.offers(q, ids2).size, m.offers(q, ids).size)


def test_excluded_bundle_item_breaks_the_offer(fitted):
    import scipy.sparse as sp
    m, train = fitted
    q = _q(train, [["A"]])
    b = train.items.ids.tolist().index("B")
    ex = sp.csr_matrix(([1.0], ([0], [b])), shape=q.carts.shape)
    ids, _ = m.recommend(q, 5, exclude=ex)
    assert b not in ids[0]
    assert m.offers(q, ids).size[0] == 0
    np.testing.assert_allclose(m.slot_discounts(ids), 0)


def test_registry_and_config_errors(fitted):
    _, train = fitted
    m = registry.build({"model": "bundle", "discount": 0.15})
    assert isinstance(m, BundleRecommender) and m.config.discount == 0.15
    with pytest.raises(ConfigError, match="discount"):
        registry.build({"model": "bundle", "discount": 1.0})
    with pytest.raises(DataError, match="category_level='category_9'"):
        BundleRecommender(category_level="category_9").fit(train)


def test_cooccurrence_fill_by_brute_force(fitted):
    m, train = fitted
    baskets, _, _ = triple_baskets()
    names = train.items.ids.tolist()
    cart = ["n3", "n7"]
    ids, _ = m.recommend(_q(train, [cart]), train.n_items)
    o = m.offers(_q(train, [cart]), ids)
    assert o.size[0] == 0                                   # no bundle holds n3 or n7
    shared = {i: sum(sum(c in b for c in cart) for b in baskets if i in b) for i in names if i not in cart}
    pop = {i: sum(i in b for b in baskets) for i in names}
    want = sorted(shared, key=lambda i: (-shared[i], -pop[i], names.index(i)))
    assert [names[i] for i in ids[0] if i >= 0] == want
