import numpy as np
import pandas as pd
import pytest

from cs_lab.data import schema as S
from cs_lab.data.interactions import Interactions
from cs_lab.data.queries import Queries
from cs_lab.errors import ConfigError
from cs_lab.models import registry
from cs_lab.models.base import Recommender
from cs_lab.models.hybrid import Blend, Fallback
from cs_lab.testing.contract import RecommenderContract


class TestFallbackContract(RecommenderContract):
    full_list_for_empty_cart = True

    def make_model(self, seed):
        return Fallback(models=[{"model": "personal"}, {"model": "category_popularity", "fallback": False},
                                {"model": "random"}], seed=seed)


class TestBlendMinmaxContract(RecommenderContract):
    full_list_for_empty_cart = True

    def make_model(self, seed):
        return Blend(models={"pers": {"model": "personal"}, "pop": {"model": "popularity"},
                             "rnd": {"model": "random"}}, weights={"pers": 2.0, "rnd": 0.5}, seed=seed)


class TestBlendRankContract(RecommenderContract):
    full_list_for_empty_cart = True

    def make_model(self, seed):
        return Blend(models=[{"model": "category_popularity"}, {"model": "random"}], normalize="rank", seed=seed)


class TestNestedContract(RecommenderContract):
    """A fallback whose first stage is itself a blend: nested params and nested state."""

    full_list_for_empty_cart = True

    def make_model(self, seed):
        return Fallback(models=[{"model": "blend", "models": {"a": {"model": "personal"},
                                                              "b": {"model": "category_popularity", "fallback": False}}},
                                {"model": "popularity"}], seed=seed)


def tiny() -> Interactions:
    """Baskets over items a..e. Popularity (baskets): a 4, b 3, c 2, e 2, d 1. Customer u bought e (x2), d."""
    baskets = {"B1": "abc", "B2": "abc", "B3": "ab", "B4": "a", "B5": "de", "B6": "e"}
    cust = {"B5": "u", "B6": "u"}
    rows = [(cust.get(b, "x"), b, i) for b, items in baskets.items() for i in items]
    df = pd.DataFrame(rows, columns=[S.CUSTOMER, S.BASKET, S.ITEM])
    df[S.TIMESTAMP] = pd.Timestamp("2024-01-01")
    df[S.QUANTITY], df[S.UNIT_PRICE], df[S.VALUE] = 1.0, 1.0, 1.0
    return Interactions.from_lines(S.conform_lines(df))


def q(train, carts, customers):
    return Queries.from_lists([train.items.index(c) for c in carts], train.n_items,
                              customers=[train.customers.index([c])[0] if c else -1 for c in customers])


def names(train, ids):
    return ["".join(train.items.ids[i] for i in row if i >= 0) for row in ids]


def test_fallback_order_personal_then_popularity():
    t = tiny()
    m = Fallback(models=[{"model": "personal"}, {"model": "popularity"}]).fit(t)
    ids, scores = m.recommend(q(t, [[], ["e"], []], ["u", "u", None]), 5)
    # u: own items e (2 baskets) then d (1), then the rest by popularity a, b, c
    # cart {e}: personal d only, then a, b, c; anonymous: popularity only (c before e by index on ties)
    assert names(t, ids) == ["edabc", "dabc", "abced"]
    assert (scores[0, :2] >= 2).all() and (scores[0, 2:] < 2).all()


def test_fallback_earlier_model_wins_even_when_later_scores_higher():
    t = tiny()
    # random puts its own order on everything, yet personal's items always come first
    m = Fallback(models=[{"model": "personal"}, {"model": "random"}], seed=7).fit(t)
    ids, _ = m.recommend(q(t, [[]], ["u"]), 5)
    assert names(t, ids)[0][:2] == "ed"


def test_fallback_keys_must_be_positions():
    with pytest.raises(ConfigError, match="positions"):
        Fallback(models={"rules": {"model": "popularity"}})
    with pytest.raises(ConfigError, match=r"models\.1"):
        Fallback(models=[{"model": "popularity"}, {"model": "popularity", "bogus": 1}])


def test_blend_equals_hand_computation_minmax():
    t = tiny()
    m = Blend(models={"pers": {"model": "personal"}, "pop": {"model": "popularity"}},
              weights={"pers": 0.6, "pop": 0.4}).fit(t)
    ids, scores = m.recommend(q(t, [["a"]], ["u"]), 5)
    # cart {a} removed before normalising. personal(u): e = 2 + tb(e), d = 1 + tb(d) with tb = pop/(4+1)
    # -> minmax over {e, d}: e 1, d 0.  popularity over {b 3, c 2, e 2, d 1}: b 1, c 0.5, e 0.5, d 0.
    expected = {"e": 0.6 * 1 + 0.4 * 0.5, "b": 0.4 * 1, "c": 0.4 * 0.5, "d": 0.6 * 0 + 0.4 * 0}
    got = {t.items.ids[i]: s for i, s in zip(ids[0], scores[0]) if i >= 0}
    assert got.keys() == expected.keys()
    for k, v in expected.items():
        assert got[k] == pytest.approx(v)
    assert names(t, ids) == ["ebcd"]


def test_blend_equals_hand_computation_rank():
    t = tiny()
    m = Blend(models={"pers": {"model": "personal"}, "pop": {"model": "popularity"}}, normalize="rank").fit(t)
    ids, scores = m.recommend(q(t, [["a"]], ["u"]), 5)
    # personal over {e, d}: e 2/2, d 1/2.  popularity over {b, c, e, d} (c, e tied): b 4/4, c = e = 2.5/4, d 1/4
    expected = {"e": 1 + 2.5 / 4, "d": 0.5 + 1 / 4, "b": 1.0, "c": 2.5 / 4}
    got = {t.items.ids[i]: s for i, s in zip(ids[0], scores[0]) if i >= 0}
    for k, v in expected.items():
        assert got[k] == pytest.approx(v)


def test_blend_weight_validation():
    with pytest.raises(ConfigError, match="name no model"):
        Blend(models={"a": {"model": "popularity"}}, weights={"b": 1.0})
    with pytest.raises(ConfigError, match="at least one weight"):
        Blend(models={"a": {"model": "popularity"}}, weights={"a": 0.0})


def test_params_are_flat_and_inherit_seed():
    m = registry.build({"model": "blend", "seed": 3, "models": {"p": {"model": "popularity"},
                                                               "r": {"model": "random", "seed": 9}}})
    p = m.get_params()
    assert p["models.p.model"] == "popularity" and p["models.p.seed"] == 3 and p["models.r.seed"] == 9
    assert p["weights.p"] == 1.0 and p["models.p.by"] == "baskets"
    assert Recommender.from_params(p).get_params() == p


def test_save_load_without_extra_files(tmp_path):
    t = tiny()
    m = Fallback(models=[{"model": "personal"}, {"model": "popularity"}]).fit(t)
    m.save(tmp_path / "m")
    assert sorted(p.name for p in (tmp_path / "m").iterdir()) == ["config.json", "customers.json", "items.json",
                                                                   "state.npz"]
    loaded = Recommender.load(tmp_path / "m")
    qq = q(t, [[], ["e"]], ["u", None])
    np.testing.assert_array_equal(m.recommend(qq, 4)[0], loaded.recommend(qq, 4)[0])


def test_compiled_minmax_equals_the_numpy_reference():
    from cs_lab.models.hybrid.normalize import minmax_rows, minmax_rows_numpy

    rng = np.random.default_rng(0)
    s = rng.normal(size=(50, 40))
    s[rng.random(s.shape) < 0.3] = -np.inf
    s[3] = -np.inf                       # no candidates
    s[4, :] = 2.5                        # one shared score -> 1.0
    s[5, 7] = np.nan                     # NaN is not a candidate
    for dtype in (np.float64, np.float32):
        got, cand = minmax_rows(s.astype(dtype))
        ref, ref_cand = minmax_rows_numpy(s.astype(dtype))
        np.testing.assert_array_equal(cand, ref_cand)
        np.testing.assert_allclose(got, ref, rtol=1e-6, atol=1e-12)
    assert (minmax_rows(s)[0][4] == 1.0).all() and not minmax_rows(s)[1][3].any()
