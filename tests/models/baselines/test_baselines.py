import numpy as np
import pandas as pd
import pytest

from cs_lab.data import schema as S
from cs_lab.data.interactions import Interactions
from cs_lab.data.queries import Queries
from cs_lab.errors import DataError
from cs_lab.models import registry
from cs_lab.models.baselines import CategoryPopularity, Personal, PersonalFallback, RandomItems
from cs_lab.testing.contract import RecommenderContract
from cs_lab.testing.data import contract_data


class TestRandomContract(RecommenderContract):
    full_list_for_empty_cart = True

    def make_model(self, seed):
        return RandomItems(seed=seed)


class TestCategoryPopularityContract(RecommenderContract):
    full_list_for_empty_cart = True

    def make_model(self, seed):
        return CategoryPopularity(level="category_2", seed=seed)


class TestCategoryPopularityNoFallbackContract(RecommenderContract):
    def make_model(self, seed):
        return CategoryPopularity(level="category_1", fallback=False, seed=seed)


class TestPersonalContract(RecommenderContract):
    def make_model(self, seed):
        return Personal(seed=seed)


class TestPersonalFallbackContract(RecommenderContract):
    full_list_for_empty_cart = True

    def make_model(self, seed):
        return PersonalFallback(seed=seed)


def tiny() -> Interactions:
    """Items a,b (cat X), c,d (cat Y), e (no category); customers u (a,a,c) and v (d)."""
    rows = [("u", "B1", "a", "X"), ("u", "B1", "c", "Y"), ("u", "B2", "a", "X"), ("v", "B3", "d", "Y"),
            ("w", "B4", "b", "X"), ("w", "B5", "d", "Y"), ("w", "B6", "d", "Y"), ("w", "B7", "e", None)]
    df = pd.DataFrame(rows, columns=[S.CUSTOMER, S.BASKET, S.ITEM, "category_1"])
    df[S.TIMESTAMP] = pd.Timestamp("2024-01-01")
    df[S.QUANTITY], df[S.UNIT_PRICE] = 1.0, 1.0
    df[S.VALUE] = 1.0
    return Interactions.from_lines(S.conform_lines(df))


def ids_of(train, model, carts, customers=None, k=5):
    q = Queries.from_lists([train.items.index(c) for c in carts], train.n_items, customers=customers)
    ids, _ = model.recommend(q, k)
    return [[train.items.ids[i] for i in row if i >= 0] for row in ids]


def test_random_same_query_same_list_across_batches():
    data = contract_data(0)
    m = RandomItems(seed=1).fit(data.train)
    whole, _ = m.recommend(data.queries, 5)
    part, _ = m.recommend(data.queries[3:6], 5)
    np.testing.assert_array_equal(whole[3:6], part)
    assert len({tuple(r) for r in whole.tolist()}) > 1
    other, _ = RandomItems(seed=2).fit(data.train).recommend(data.queries, 5)
    assert not np.array_equal(whole, other)


def test_category_popularity_cart_category_first():
    t = tiny()
    m = CategoryPopularity().fit(t)
    # cart {c} (cat Y): d (Y, 3 baskets) first, then fallback by popularity a(2), then b, e (1 each, by index)
    assert ids_of(t, m, [["c"]]) == [["d", "a", "b", "e"]]
    m2 = CategoryPopularity(fallback=False).fit(t)
    assert ids_of(t, m2, [["c"], []]) == [["d"], []]
    # two X items in the cart outrank one Y item
    assert ids_of(t, m2, [["a", "b", "c"]]) == [["d"]]


def test_category_popularity_unknown_level():
    with pytest.raises(DataError, match="category_3"):
        CategoryPopularity(level="category_3").fit(tiny())


def test_personal_and_fallback():
    t = tiny()
    u, v = t.customers.index(["u", "v"])
    p = Personal().fit(t)
    assert ids_of(t, p, [[], [], []], customers=[u, v, -1]) == [["a", "c"], ["d"], []]
    f = PersonalFallback().fit(t)
    # v's own d first; then the rest by popularity: a (2 baskets) before b, c, e (1 each)
    assert ids_of(t, f, [[], []], customers=[v, -1]) == [["d", "a", "b", "c", "e"], ["d", "a", "b", "c", "e"]]
    assert ids_of(t, f, [["d"]], customers=[v])[0][0] == "a"


def test_registered_names():
    for name in ("random", "category_popularity", "personal", "personal_fallback"):
        assert registry.build({"model": name}).name == name
