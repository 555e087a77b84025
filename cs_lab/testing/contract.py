"""The contract test suite every Recommender passes.

Use it from a test module in a few lines::

    from cs_lab.testing.contract import RecommenderContract

    class TestALS(RecommenderContract):
        def make_model(self, seed):
            return ALS(factors=8, iterations=3, seed=seed, num_threads=1)

``make_model(seed)`` must return an unfitted model whose output is determined by ``seed``.
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from cs_lab.errors import ConfigError, NotFittedError
from cs_lab.models.base import Recommender
from cs_lab.testing.data import assert_valid_output, carts_as_sets, contract_data


class RecommenderContract:
    K = 10

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
