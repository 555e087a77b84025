"""Per-iteration hook, cart/customer query vectors, fallback, configs and planted-pair quality."""

import numpy as np
import pytest

from cs_lab.data.queries import Queries
from cs_lab.errors import ConfigError
from cs_lab.models import registry
from cs_lab.models.implicit_cf import ALS, BPR, LMF, ItemKNN
from cs_lab.models.lightfm_cf import LightFMModel
from cs_lab.testing.data import contract_data

pytestmark = pytest.mark.filterwarnings("ignore:Method expects CSR input")

ITERATIVE = {
    "als": lambda: ALS(factors=8, iterations=6, num_threads=1),
    "bpr": lambda: BPR(factors=8, iterations=6, num_threads=1),
    "lmf": lambda: LMF(factors=8, iterations=6, num_threads=1),
    "lightfm": lambda: LightFMModel(no_components=8, epochs=6, num_threads=1),
}


class Stop(Exception):
    pass


@pytest.fixture(scope="module")
def data():
    return contract_data(0)


@pytest.mark.parametrize("name", sorted(ITERATIVE))
def test_hook_called_every_iteration_with_usable_model(data, name):
    seen, tops, factors = [], [], []

    def hook(i, model):
        seen.append(i)
        tops.append(model.recommend(data.queries, 5)[0])
        factors.append(model.item_factors_.copy())

    m = ITERATIVE[name]().fit(data.train, on_iteration=hook)
    assert seen == list(range(6))
    assert all(t.shape == (len(data.queries), 5) for t in tops)
    assert not np.array_equal(factors[0], factors[-1]), "the hook must see the current factors"
    # the final model holds the last iteration's factors
    np.testing.assert_array_equal(factors[-1], m.item_factors_)


@pytest.mark.parametrize("name", sorted(ITERATIVE))
def test_hook_exception_stops_training(data, name):
    seen = []

    def hook(i, model):
        seen.append(i)
        if i == 2:
            raise Stop

    m = ITERATIVE[name]()
    with pytest.raises(Stop):
        m.fit(data.train, on_iteration=hook)
    assert seen == [0, 1, 2]
    assert getattr(m, "_on_iteration", None) is None


@pytest.mark.parametrize("name", sorted(ITERATIVE))
def test_a_hook_with_wants_sees_only_the_iterations_it_asks_for_and_the_fit_is_unchanged(data, name):
    """``hook.wants(i)`` (the tuning objective scores a few iterations): the model copies its state
    out and calls the hook only there, with that iteration's factors, and ends where an unhooked
    fit ends."""
    seen, full = [], {}

    def every(i, model):
        full[i] = (model.item_factors_.copy(), model.recommend(data.queries, 5)[0])

    def hook(i, model):
        seen.append(i)
        np.testing.assert_array_equal(model.item_factors_, full[i][0])
        np.testing.assert_array_equal(model.recommend(data.queries, 5)[0], full[i][1])

    hook.wants = lambda i: i in (1, 4)
    ITERATIVE[name]().fit(data.train, on_iteration=every)
    m = ITERATIVE[name]().fit(data.train, on_iteration=hook)
    assert seen == [1, 4]
    plain = ITERATIVE[name]().fit(data.train)
    np.testing.assert_array_equal(m.item_factors_, plain.item_factors_)
    np.testing.assert_array_equal(m.recommend(data.queries, 5)[0], plain.recommend(data.queries, 5)[0])


def test_no_hook_same_result_as_hook(data):
    a = ALS(factors=8, iterations=4, num_threads=1).fit(data.train)
    b = ALS(factors=8, iterations=4, num_threads=1).fit(data.train, on_iteration=lambda i, m: None)
    np.testing.assert_array_equal(a.item_factors_, b.item_factors_)


def test_customer_only_query_uses_customer_factors(data):
    m = ALS(factors=8, iterations=3, num_threads=1, use_customer=True).fit(data.train)
    users = np.arange(10)
    q = Queries.from_lists([[] for _ in users], m.n_items, customers=users)
    vec, has = m.query_vectors(q)
    assert has.all()
    np.testing.assert_allclose(vec, m.customer_factors_[users], rtol=1e-6)


def test_cart_and_customer_are_blended(data):
    m = ALS(factors=8, iterations=3, num_threads=1, use_customer=True, customer_weight=0.25).fit(data.train)
    cart_only = ALS(factors=8, iterations=3, num_threads=1).fit(data.train)
    q = Queries.from_lists([[1, 2], [3]], m.n_items, customers=[0, -1])
    vec, _ = m.query_vectors(q)
    cart_vec, _ = cart_only.query_vectors(q)
    np.testing.assert_allclose(vec[0], 0.75 * cart_vec[0] + 0.25 * m.customer_factors_[0], rtol=1e-5)
    np.testing.assert_allclose(vec[1], cart_vec[1], rtol=1e-6)  # unknown customer: cart only


def test_basket_training_folds_in_customer_histories(data):
    """Basket-trained BPR has no customer factors: each customer's history is folded in under
    BPR's loss (the cart fold-in, fold_in.py), not averaged."""
    m = BPR(factors=8, iterations=5, num_threads=1, train_on="baskets", use_customer=True).fit(data.train)
    assert m.customer_factors_.shape == (data.train.n_customers, 8)
    ci = data.train.customer_items
    np.testing.assert_allclose(m.customer_factors_, m._fold_in_history(ci), rtol=1e-6, atol=1e-7)
    row = ci[0]
    mean = (row.data[:, None] * m.item_factors_[row.indices]).sum(axis=0) / row.data.sum()
    assert not np.allclose(m.customer_factors_[0], mean, rtol=1e-2)


@pytest.mark.parametrize("make", [lambda **k: ALS(factors=8, iterations=2, num_threads=1, **k),
                                  lambda **k: ItemKNN(num_threads=1, **k),
                                  lambda **k: LightFMModel(no_components=4, epochs=1, num_threads=1, **k)])
def test_fallback_for_queries_without_signal(data, make):
    q = Queries.from_lists([[]], data.train.n_items, customers=[-1])
    ids, _ = make().fit(data.train).recommend(q, 5)
    pop = data.train.item_popularity()
    np.testing.assert_array_equal(ids[0], np.argsort(-pop, kind="stable")[:5])
    ids, scores = make(fallback="none").fit(data.train).recommend(q, 5)
    assert (ids == -1).all() and np.isnan(scores).all()


def test_configs_are_validated():
    with pytest.raises(ConfigError, match="user_features"):
        LightFMModel(user_features=True, train_on="baskets")
    with pytest.raises(ConfigError, match="weighting"):
        ItemKNN(weighting="jaccard")
    with pytest.raises(ConfigError, match="num_threads"):
        ALS(num_threads=-1)
    with pytest.raises(ConfigError, match="customer_weight"):
        BPR(customer_weight=1.5)
    m = registry.build({"model": "item_knn", "weighting": "bm25", "neighbours": 5})
    assert isinstance(m, ItemKNN) and m.config.neighbours == 5
    assert {"als", "bpr", "lmf", "item_knn", "lightfm"} <= set(registry.names())


def planted_hit_rate(model, data, k=5):
    pairs = data.synthetic.pairs
    a = data.train.items.index([p[0] for p in pairs])
    b = data.train.items.index([p[1] for p in pairs])
    q = Queries.from_lists([[x] for x in a], data.train.n_items)
    ids, _ = model.fit(data.train).recommend(q, k)
    return (ids == b[:, None]).any(axis=1).mean()


def test_planted_partners_ranked_highly(data):
    from cs_lab.models.baselines import Popularity

    base = planted_hit_rate(Popularity(), data)
    knn = planted_hit_rate(ItemKNN(train_on="baskets", num_threads=1), data)
    als = planted_hit_rate(ALS(factors=32, iterations=10, alpha=5.0, regularization=0.1, train_on="baskets",
                               num_threads=1), data)
    assert base < 0.2
    assert knn >= 0.8, knn
    assert als >= 0.8, als
