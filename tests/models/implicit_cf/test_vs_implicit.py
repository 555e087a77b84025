"""Wrapper tests: our factors and scores equal the raw implicit library's on the same matrix."""

import numpy as np
import pytest
import scipy.sparse as sp

from cs_lab.data.queries import Queries
from cs_lab.models.implicit_cf import ALS, BPR, ItemKNN
from cs_lab.models.implicit_cf.matrices import als_fold_in, training_matrix
from cs_lab.testing.data import contract_data

implicit_als = pytest.importorskip("implicit.cpu.als")
implicit_bpr = pytest.importorskip("implicit.cpu.bpr")
implicit_nn = pytest.importorskip("implicit.nearest_neighbours")

# implicit's kNN weighting passes itself a COO matrix and warns about it
pytestmark = pytest.mark.filterwarnings("ignore:Method expects CSR input")


@pytest.fixture(scope="module")
def data():
    return contract_data(0)


def nonempty_queries(data) -> Queries:
    q = data.queries
    keep = np.flatnonzero(np.diff(q.carts.indptr) > 0)
    return Queries(q.ids[keep], q.carts[keep], q.customers[keep])


def dense_from_implicit(ids, scores, n_items):
    out = np.full((ids.shape[0], n_items), -np.inf)
    for r in range(ids.shape[0]):
        ok = (ids[r] >= 0) & (scores[r] > -1e38)  # implicit marks filtered items with -FLT_MAX
        out[r, ids[r][ok]] = scores[r][ok]
    return out


def test_als_factors_equal_raw_implicit(data):
    m = ALS(factors=8, iterations=4, regularization=0.05, alpha=2.0, num_threads=1, seed=7).fit(data.train)
    raw = implicit_als.AlternatingLeastSquares(factors=8, iterations=4, regularization=0.05, alpha=2.0,
                                               num_threads=1, random_state=7)
    raw.fit(training_matrix(data.train, "customers"), show_progress=False)
    np.testing.assert_array_equal(m.item_factors_, raw.item_factors)


@pytest.mark.parametrize("alpha", [1.0, 3.0])
def test_als_cart_fold_in_equals_recalculate_user(data, alpha):
    m = ALS(factors=8, iterations=4, regularization=0.05, alpha=alpha, num_threads=1, seed=1).fit(data.train)
    q = nonempty_queries(data)
    raw = implicit_als.AlternatingLeastSquares(factors=8, regularization=0.05, alpha=alpha, num_threads=1)
    raw.item_factors = m.item_factors_.copy()
    raw.user_factors = np.zeros((len(q), 8), np.float32)
    carts = sp.csr_matrix(q.carts, dtype=np.float32)
    expected = raw.recalculate_user(np.arange(len(q)), carts)
    ours, has = m.query_vectors(q)
    assert has.all()
    np.testing.assert_allclose(ours, expected, rtol=1e-3, atol=1e-5)

    # and the scores of every candidate equal recommend(..., recalculate_user=True)
    unknown = np.flatnonzero(~m.known_items_)
    n = m.n_items
    ids, scores = raw.recommend(np.arange(len(q)), carts, N=n, recalculate_user=True,
                                filter_already_liked_items=True, filter_items=unknown if len(unknown) else None)
    theirs = dense_from_implicit(ids, scores, n)
    s = m._score(q).astype(np.float64)
    s[q.carts.nonzero()] = -np.inf
    np.testing.assert_allclose(s, theirs, rtol=1e-3, atol=1e-5)
    # and the top-10 agree (up to near ties)
    ours_ids, ours_scores = m.recommend(q, 10)
    np.testing.assert_allclose(ours_scores, np.sort(theirs, axis=1)[:, ::-1][:, :10], rtol=1e-3, atol=1e-5)


def test_als_fold_in_blocks_and_long_rows_agree():
    rng = np.random.default_rng(0)
    y = rng.normal(size=(50, 6))
    c = sp.random(30, 50, density=0.3, random_state=1, format="csr") * 4
    full = als_fold_in(c, y, 0.1)
    tiny = als_fold_in(c, y, 0.1, max_block_bytes=1)  # every row on its own
    np.testing.assert_allclose(full, tiny, rtol=1e-10)
    assert (full[np.diff(c.indptr) == 0] == 0).all()


def test_bpr_customer_scores_equal_raw_implicit(data):
    m = BPR(factors=8, iterations=20, num_threads=1, seed=3, use_customer=True).fit(data.train)
    raw = implicit_bpr.BayesianPersonalizedRanking(factors=8, iterations=20, num_threads=1, random_state=3)
    raw.fit(training_matrix(data.train, "customers", "binary"), show_progress=False)
    np.testing.assert_array_equal(m.item_factors_, raw.item_factors[:, :8])
    np.testing.assert_array_equal(m.item_bias_, raw.item_factors[:, 8])
    users = np.arange(min(20, data.train.n_customers))
    q = Queries.from_lists([[] for _ in users], m.n_items, customers=users)
    unknown = np.flatnonzero(~m.known_items_)
    ids, scores = raw.recommend(users, data.train.customer_items[users], N=m.n_items,
                                filter_already_liked_items=False, filter_items=unknown if len(unknown) else None)
    np.testing.assert_allclose(m._score(q), dense_from_implicit(ids, scores, m.n_items), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("weighting", ["cosine", "bm25", "tfidf"])
def test_item_knn_equals_raw_implicit(data, weighting):
    m = ItemKNN(weighting=weighting, neighbours=15, num_threads=1).fit(data.train)
    raw = {"cosine": lambda: implicit_nn.CosineRecommender(K=15, num_threads=1),
           "bm25": lambda: implicit_nn.BM25Recommender(K=15, num_threads=1),
           "tfidf": lambda: implicit_nn.TFIDFRecommender(K=15, num_threads=1)}[weighting]()
    raw.fit(training_matrix(data.train, "customers"), show_progress=False)
    # similar_items: each item's neighbour row
    for item in range(0, m.n_items, 7):
        ids, scores = raw.similar_items(item, N=15)
        row = m.similarity_[item]
        np.testing.assert_allclose(row.toarray().ravel()[ids], scores, rtol=1e-6)
        assert set(row.indices) == set(ids.tolist())
    # recommend: the sum of similarities over the cart
    q = nonempty_queries(data)
    carts = sp.csr_matrix(q.carts, dtype=np.float32)
    ids, scores = raw.recommend(np.arange(len(q)), carts, N=m.n_items, filter_already_liked_items=True)
    theirs = dense_from_implicit(ids, scores, m.n_items)
    theirs[theirs == 0] = -np.inf  # implicit pads with unreached items at score 0; ours are not candidates
    s = m._score(q)
    s[q.carts.nonzero()] = -np.inf
    np.testing.assert_allclose(s, theirs, rtol=1e-5, atol=1e-9)
