"""ALS(engine="spark"): the Recommender contract, determinism, and the fold-in of Spark's objective.

Spark's implicit ALS updates users last in every iteration (ALS.train: item factors from the user
factors, then user factors from those item factors), each user by the exact least-squares solve of

    min_x  sum_i (1 + alpha r_ui) (p_ui - x . y_i)^2 + sum_{i unobserved} (x . y_i)^2 + regParam n_u |x|^2

(CholeskySolver on the normal equations, lambda = numExplicits * regParam). So the final user factors
are a function of the final item factors alone, and cs_lab.spark.als.fold_in of the training
customers reproduces them; it differs only by Spark keeping factors in float32.
"""

from __future__ import annotations

import builtins

import numpy as np
import pytest
import scipy.sparse as sp

from cs_lab.models.base import Recommender
from cs_lab.models.implicit_cf import ALS
from cs_lab.models.implicit_cf.matrices import als_fold_in
from cs_lab.spark.als import fold_in
from cs_lab.testing.contract import RecommenderContract
from cs_lab.testing.data import assert_valid_output, carts_as_sets, contract_data
from tests.spark.conftest import SPARK

pytestmark = pytest.mark.usefixtures("spark")


class TestSparkALSContract(RecommenderContract):
    """Customers x items, customer factors kept (use_customer): Spark's own user factors are used."""

    full_list_for_empty_cart = True

    def make_model(self, seed):
        return ALS(engine="spark", spark=SPARK, factors=8, iterations=3, regularization=0.05, alpha=2.0,
                   use_customer=True, seed=seed)

    def test_penalty_scale(self, fitted, data):
        """regParam = regularization / mean number of items per training customer."""
        ci = data.train.customer_items
        n_u = np.diff(ci.indptr)
        assert fitted.spark_reg_param_ == pytest.approx(0.05 / n_u[n_u > 0].mean(), rel=1e-12)

    def test_customer_factors_are_the_fold_in_of_spark_objective(self, fitted, data):
        """Spark's final user factors solve Spark's objective exactly given its final item factors."""
        ci = data.train.customer_items
        x = fitted.customer_factors_
        assert x.shape == (data.train.n_customers, 8) and np.abs(x).max() > 0.1
        got = fold_in(ci, fitted.item_factors_, fitted.spark_reg_param_, 2.0)
        np.testing.assert_allclose(got, x, rtol=0, atol=1e-6 * np.abs(x).max())  # measured: 3e-8
        # the relation is specific: implicit's objective (confidence alpha * r, plain penalty) does
        # not reproduce them, nor does Spark's with another penalty
        implicit_style = als_fold_in(ci.multiply(2.0).tocsr(), fitted.item_factors_, 0.05)
        assert np.abs(implicit_style - x).max() > 100 * np.abs(got - x).max()
        other_reg = fold_in(ci, fitted.item_factors_, 2 * fitted.spark_reg_param_, 2.0)
        assert np.abs(other_reg - x).max() > 100 * np.abs(got - x).max()

    def test_carts_fold_in_under_spark_objective(self, fitted, data):
        """A query with only a cart scores q . y with q = fold_in(cart) (confidence 1 + alpha,
        penalty regParam * cart size)."""
        carts = data.queries.carts.tocsr()
        q = fitted._fold_in_carts(carts)
        y = fitted.item_factors_.astype(np.float64)
        for row in np.flatnonzero(np.diff(carts.indptr) > 0)[:5]:
            items = carts.indices[carts.indptr[row]:carts.indptr[row + 1]]
            yc = y[items]
            a = y.T @ y + 2.0 * yc.T @ yc + fitted.spark_reg_param_ * len(items) * np.eye(8)
            np.testing.assert_allclose(q[row], np.linalg.solve(a, 3.0 * yc.sum(axis=0)), rtol=1e-9, atol=1e-12)

    def test_seed_determines_factors_and_one_report(self, fitted, data):
        """Same seed: identical factors (Spark's ALS is deterministic for fixed data, seed and
        blocks). Spark trains every iteration in one call, so a pruning hook hears once, at the
        last iteration, with a usable model. Another seed gives other factors (the seed is passed)."""
        reports = []

        def hook(iteration, model):
            reports.append((iteration, model.recommend(data.queries, 3)[0].shape))

        again = self.make_model(0).fit(data.train, on_iteration=hook)
        assert reports == [(2, (len(data.queries), 3))]
        np.testing.assert_array_equal(again.item_factors_, fitted.item_factors_)
        np.testing.assert_array_equal(again.customer_factors_, fitted.customer_factors_)
        other = self.make_model(1).fit(data.train)
        assert not np.allclose(other.item_factors_, fitted.item_factors_)


class TestSparkALSBaskets:
    """Baskets x items with log confidence, customer vectors folded in from their histories. One
    fit, for time (the contract's repeated fits run on the customers variant above): valid output,
    no cart item recommended, save / load, and the customers folded in under Spark's objective."""

    @pytest.fixture(scope="class")
    @classmethod
    def fitted(cls):
        return ALS(engine="spark", spark=SPARK, factors=8, iterations=3, train_on="baskets", use_customer=True,
                   confidence="log", alpha=2.0).fit(contract_data(0).train)

    def test_output_and_save_load(self, fitted, tmp_path, monkeypatch):
        """... and the saved model loads and scores without pyspark (carts fold in with NumPy)."""
        data = contract_data(0)
        ids, scores = fitted.recommend(data.queries, 10)
        assert_valid_output(ids, scores, len(data.queries), 10, data.train.n_items)
        assert all(not (set(row.tolist()) & cart) for row, cart in zip(ids, carts_as_sets(data.queries)))
        assert (ids[:, 0] >= 0).all()
        fitted.save(tmp_path / "m")
        real = builtins.__import__

        def no_pyspark(name, *args, **kwargs):
            if name.split(".")[0] == "pyspark":
                raise ModuleNotFoundError(f"No module named {name!r}")
            return real(name, *args, **kwargs)

        monkeypatch.setattr(builtins, "__import__", no_pyspark)
        loaded = Recommender.load(tmp_path / "m")
        assert loaded.spark_reg_param_ == fitted.spark_reg_param_
        b = loaded.recommend(data.queries, 10)
        np.testing.assert_array_equal(ids, b[0])
        np.testing.assert_allclose(scores, b[1], rtol=1e-6, equal_nan=True)

    def test_customer_vectors_are_the_fold_in_of_spark_objective(self, fitted):
        train = contract_data(0).train
        n_b = np.diff(train.basket_items.indptr)
        assert fitted.spark_reg_param_ == pytest.approx(0.01 / n_b[n_b > 0].mean(), rel=1e-12)
        logged = train.customer_items.copy()
        logged.data = 1.0 + np.log(logged.data)
        want = fold_in(logged, fitted.item_factors_, fitted.spark_reg_param_, 2.0)
        assert np.abs(want).max() > 0.1
        np.testing.assert_allclose(fitted.customer_factors_, want, rtol=1e-5, atol=1e-6)


# -- fold-in arithmetic (no Spark) -----------------------------------------------------------------
def random_rows(n: int, n_items: int, seed: int) -> sp.csr_matrix:
    rng = np.random.default_rng(seed)
    m = sp.random(n, n_items, density=0.15, format="csr", random_state=rng, data_rvs=lambda k: rng.integers(1, 5, k))
    keep = np.ones(n)
    keep[3] = 0  # an empty row
    m = (sp.diags(keep) @ m).tocsr()
    m.eliminate_zeros()
    return m


def test_als_fold_in_with_per_row_penalty_equals_scalar_solves():
    rng = np.random.default_rng(0)
    c = random_rows(40, 30, 1)
    y = rng.normal(size=(30, 6)).astype(np.float32)
    reg = rng.uniform(0.01, 3.0, 40)
    # a small block budget: rows are solved in several padded blocks
    got = als_fold_in(c, y, reg, max_block_bytes=4096)
    for u in range(40):
        np.testing.assert_allclose(got[u], als_fold_in(c[u], y, float(reg[u]))[0], rtol=1e-10, atol=1e-12)
    assert not got[3].any()
    with pytest.raises(ValueError, match=r"regularization has shape \(39,\)"):
        als_fold_in(c, y, reg[:-1])


def test_spark_fold_in_solves_spark_normal_equations():
    rng = np.random.default_rng(1)
    r = random_rows(25, 20, 2)
    y = rng.normal(size=(20, 5)).astype(np.float32)
    reg_param, alpha = 0.3, 4.0
    got = fold_in(r, y, reg_param, alpha)
    yd = y.astype(np.float64)
    for u in range(25):
        items, vals = r.indices[r.indptr[u]:r.indptr[u + 1]], r.data[r.indptr[u]:r.indptr[u + 1]]
        if len(items) == 0:
            assert not got[u].any()
            continue
        a = yd.T @ yd + (yd[items].T * (alpha * vals)) @ yd[items] + reg_param * len(items) * np.eye(5)
        b = ((1.0 + alpha * vals)[:, None] * yd[items]).sum(axis=0)
        np.testing.assert_allclose(got[u], np.linalg.solve(a, b), rtol=1e-10, atol=1e-12)
    assert r.data.min() >= 1 and got.dtype == np.float64   # the caller's matrix is left alone
