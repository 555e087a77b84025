"""The contract test suite every Recommender passes.

Use it from a test module in a few lines::

    from cs_lab.testing.contract import RecommenderContract

    class TestALS(RecommenderContract):
        def make_model(self, seed):
            return ALS(factors=8, iterations=3, seed=seed, num_threads=1)

``make_model(seed)`` must return an unfitted model whose output is determined by ``seed``.
Set ``full_list_for_empty_cart = True`` on a test class whose model fills a whole list for an empty
cart with no customer (popularity or another fallback); the suite checks the declaration both ways.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from cs_lab.data import schema as S
from cs_lab.data.queries import Queries
from cs_lab.errors import ConfigError, NotFittedError
from cs_lab.models import base as model_base
from cs_lab.models.base import Recommender
from cs_lab.testing.data import assert_valid_output, carts_as_sets, contract_data


class RecommenderContract:
    K = 10
    full_list_for_empty_cart = False

    def make_model(self, seed: int) -> Recommender:  # pragma: no cover - overridden
        raise NotImplementedError

    # fixtures -----------------------------------------------------------------
    @pytest.fixture(scope="class")
    @classmethod
    def data(cls):
        return contract_data(0)

    @pytest.fixture(scope="class")
    @classmethod
    def fitted(cls, data):
        return cls().make_model(0).fit(data.train)

    # tests --------------------------------------------------------------------
    def test_fit_returns_self(self, data):
        m = self.make_model(0)
        assert m.fit(data.train) is m
        assert m.is_fitted

    def test_recommend_before_fit_raises(self, data):
        with pytest.raises(NotFittedError):
            self.make_model(0).recommend(data.queries, self.K)

    def test_output_shape_and_padding(self, fitted, data):
        ids, scores = fitted.recommend(data.queries, self.K)
        assert_valid_output(ids, scores, len(data.queries), self.K, data.train.n_items)

    def test_empty_cart_and_unknowns(self, fitted, data):
        pos = {q: i for i, q in enumerate(data.queries.ids.tolist())}
        assert data.queries.n_unknown_items >= 1
        ids, scores = fitted.recommend(data.queries, self.K)
        for q in ("empty", "unknown_item", "unknown_customer"):
            row = ids[pos[q]]
            assert row.shape == (self.K,)

    def test_cart_items_never_recommended(self, fitted, data):
        ids, _ = fitted.recommend(data.queries, self.K)
        for row, cart in zip(ids, carts_as_sets(data.queries)):
            assert not (set(row.tolist()) & cart)

    def test_exclude_respected(self, fitted, data):
        ids0, _ = fitted.recommend(data.queries, self.K)
        # exclude each query's current top item
        rows = np.flatnonzero(ids0[:, 0] >= 0)
        ex = sp.csr_matrix((np.ones(len(rows)), (rows, ids0[rows, 0])), shape=data.queries.carts.shape)
        ids1, _ = fitted.recommend(data.queries, self.K, exclude=ex)
        assert not (ids1[rows] == ids0[rows, :1]).any()

    def test_k_larger_than_catalog(self, fitted, data):
        k = data.train.n_items + 7
        ids, scores = fitted.recommend(data.queries, k)
        assert_valid_output(ids, scores, len(data.queries), k, data.train.n_items)
        assert (ids[:, data.train.n_items:] == -1).all()

    def test_same_seed_same_output(self, data):
        a = self.make_model(3).fit(data.train).recommend(data.queries, self.K)
        b = self.make_model(3).fit(data.train).recommend(data.queries, self.K)
        np.testing.assert_array_equal(a[0], b[0])
        np.testing.assert_array_equal(a[1], b[1])

    def test_save_load_identical(self, fitted, data, tmp_path):
        fitted.save(tmp_path / "m")
        loaded = Recommender.load(tmp_path / "m")
        assert type(loaded) is type(fitted)
        a, b = fitted.recommend(data.queries, self.K), loaded.recommend(data.queries, self.K)
        np.testing.assert_array_equal(a[0], b[0])
        np.testing.assert_allclose(a[1], b[1], rtol=1e-6, equal_nan=True)

    def test_config_round_trip(self, data):
        m = self.make_model(5)
        params = m.get_params()
        assert all(isinstance(v, (int, float, str, bool, type(None))) for v in params.values()), params
        m2 = Recommender.from_params(params)
        assert type(m2) is type(m) and m2.get_params() == params
        a = m.fit(data.train).recommend(data.queries, self.K)
        b = m2.fit(data.train).recommend(data.queries, self.K)
        np.testing.assert_array_equal(a[0], b[0])

    def test_unknown_config_key_rejected(self):
        params = self.make_model(0).get_params()
        with pytest.raises(ConfigError, match="not_a_parameter"):
            Recommender.from_params({**params, "not_a_parameter": 1})

    # behaviour that must not depend on how a request is packaged -----------------
    def test_unknown_cart_items_score_like_their_absence(self, fitted, data):
        """Every cart with one extra out-of-vocabulary item (and, via from_lists, an index of -1)
        gives exactly the lists and scores of the same cart without it. The whole catalogue is
        ranked, so an unknown item wrongly read as some known item (and masked) shows."""
        k = data.train.n_items
        frames = _query_frames(data.queries, data.train)
        q, cart = frames
        extra = pd.DataFrame({"query_id": q["query_id"], S.ITEM: [f"NOT_AN_ITEM_{i}" for i in range(len(q))]})
        with_unknown = Queries.from_frames(q, pd.concat([cart, extra], ignore_index=True),
                                           data.train.items, data.train.customers)
        without = Queries.from_frames(q, cart, data.train.items, data.train.customers)
        assert with_unknown.n_unknown_items == len(q) and without.n_unknown_items == 0
        _assert_same(fitted.recommend(with_unknown, k), fitted.recommend(without, k))
        lists = data.queries.cart_lists()
        minus_one = Queries.from_lists([np.append(c, -1) for c in lists], data.train.n_items,
                                       data.queries.customers, data.queries.ids)
        plain = Queries.from_lists(lists, data.train.n_items, data.queries.customers, data.queries.ids)
        _assert_same(fitted.recommend(minus_one, k), fitted.recommend(plain, k))

    def test_empty_cart_list_is_full_exactly_when_declared(self, fitted, data):
        empty = Queries.from_lists([[]], data.train.n_items, ids=np.array(["empty"]))
        ids, _ = fitted.recommend(empty, self.K)
        full = bool((ids[0] >= 0).all())
        assert full == self.full_list_for_empty_cart, (
            f"an empty cart got {int((ids[0] >= 0).sum())} of {self.K} items; set "
            f"full_list_for_empty_cart = {full} on {type(self).__name__} if that is the model's design")

    def test_same_input_twice_same_output(self, fitted, data):
        _assert_same(fitted.recommend(data.queries, self.K), fitted.recommend(data.queries, self.K))

    def test_batch_size_does_not_change_results(self, fitted, data, monkeypatch):
        whole = fitted.recommend(data.queries, self.K)
        monkeypatch.setattr(model_base, "SCORE_BLOCK", 3 * data.train.n_items)   # blocks of 3 queries
        _assert_same(fitted.recommend(data.queries, self.K), whole)
        monkeypatch.setattr(model_base, "SCORE_BLOCK", 1)                         # one query per block
        _assert_same(fitted.recommend(data.queries, self.K), whole)

    def test_query_order_does_not_change_rows(self, fitted, data):
        whole = fitted.recommend(data.queries, self.K)
        rev = np.arange(len(data.queries))[::-1]
        q = data.queries
        flipped = Queries(q.ids[rev], q.carts[rev], q.customers[rev])
        ids, scores = fitted.recommend(flipped, self.K)
        _assert_same((ids[::-1], scores[::-1]), whole)


def _assert_same(a, b) -> None:
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])


def _query_frames(queries: Queries, train) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The (queries, cart) frames that rebuild ``queries`` over the training vocabularies."""
    cust_ids = np.asarray(train.customers.ids, dtype=object)
    customer = [cust_ids[c] if c >= 0 else None for c in queries.customers.tolist()]
    q = pd.DataFrame({"query_id": queries.ids, S.CUSTOMER: customer})
    lists = queries.cart_lists()
    item_ids = np.asarray(train.items.ids, dtype=object)
    cart = pd.DataFrame({"query_id": np.repeat(queries.ids, [len(c) for c in lists]),
                         S.ITEM: item_ids[np.concatenate(lists)] if lists else []})
    return q, cart
