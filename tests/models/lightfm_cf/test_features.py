"""LightFM side features and cart scoring from item representations."""

import numpy as np
import pytest

from cs_lab.data.queries import Queries
from cs_lab.models.lightfm_cf import LightFMModel
from cs_lab.models.lightfm_cf.features import customer_features, item_features, quantile_bands
from cs_lab.testing.data import contract_data


@pytest.fixture(scope="module")
def data():
    return contract_data(0)


def test_quantile_bands():
    bands = quantile_bands(np.array([1.0, 2.0, 3.0, 4.0, np.nan]), 2)
    np.testing.assert_array_equal(bands, [0, 0, 1, 1, -1])
    assert (quantile_bands(np.array([np.nan]), 3) == -1).all()


def test_item_features_identity_categories_price(data):
    x = item_features(data.train, price_bands=5)
    n = data.train.n_items
    n_cats = sum(int(c.max()) + 1 for c in data.train.item_categories.values())
    assert x.shape[0] == n and x.shape[1] == n + n_cats + 5
    np.testing.assert_allclose(np.asarray(x.sum(axis=1)).ravel(), 1.0, rtol=1e-6)
    assert (x[:, :n].diagonal() > 0).all()
    assert x.getnnz(axis=1).max() == 1 + len(data.train.item_categories) + 1


def test_customer_features(data):
    x = customer_features(data.train, spend_bands=4)
    assert x.shape[0] == data.train.n_customers and x.shape[1] > data.train.n_customers
    np.testing.assert_allclose(np.asarray(x.sum(axis=1)).ravel(), 1.0, rtol=1e-6)


def test_cart_score_uses_item_representations_with_features(data):
    """With item features the fold-in runs against the items' representations (features summed):
    the cart's score for item i is x . y_i + b_i with x the fold-in of the cart."""
    m = LightFMModel(no_components=8, epochs=2, num_threads=1, item_features=True).fit(data.train)
    q = Queries.from_lists([[3, 5]], m.n_items)
    x = m._fold_in_carts(q.carts.tocsr())[0]
    expected = x @ m.item_factors_.T + m.item_bias_
    np.testing.assert_allclose(m._score(q)[0], expected, rtol=1e-5, atol=1e-6)


def test_representations_equal_lightfm_predict(data):
    lightfm = pytest.importorskip("lightfm")
    from cs_lab.models.implicit_cf.matrices import training_matrix

    c = dict(no_components=8, learning_rate=0.05, loss="warp", random_state=4)
    m = LightFMModel(no_components=8, epochs=3, num_threads=1, seed=4, use_customer=True).fit(data.train)
    raw = lightfm.LightFM(**c)
    inter = training_matrix(data.train, "customers", "binary").tocoo()
    for _ in range(3):
        raw.fit_partial(inter, epochs=1, num_threads=1)
    users = np.arange(5)
    for u in users:
        pred = raw.predict(int(u), np.arange(m.n_items), num_threads=1)
        q = Queries.from_lists([[]], m.n_items, customers=[u])
        ours = m._score(q)[0]
        known = m.known_items_
        # predict adds the user bias, a constant per user
        diff = pred[known] - ours[known]
        np.testing.assert_allclose(diff, diff[0], atol=1e-4)
