"""Threshold metrics: reached share, crossing, benefit cost, order-value lift and net margin, checked
against hand computations on three carts, and against a plain-Python loop on random data."""

import numpy as np
import pytest
import scipy.sparse as sp

from cs_lab.errors import ConfigError, DataError
from cs_lab.eval import evaluate
from cs_lab.eval.metrics.threshold import ThresholdTerms, threshold_metrics

# 3 queries over 4 items; hidden items and their real line values
TRUTH = sp.csr_matrix(np.array([[1, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]], dtype=float))
VALUE = sp.csr_matrix(np.array([[30.0, 5.0, 0, 0], [0, 0, 50.0, 0], [0, 0, 0, 8.0]]))
RECS = np.array([[0, 2], [3, 2], [3, 1]])      # q0 hits item 0 (30) at rank 1; q1 hits item 2 at rank 2; q2 hits 3
CART = np.array([80.0, 40.0, 120.0])           # T = 100: q0 crosses at k=1, q1 never (40 + 50 = 90), q2 already over


def _run(terms, **kw):
    return evaluate(RECS, TRUTH, threshold_metrics(terms, has_truth_margin="truth_margin" in kw), ks=[1, 2],
                    truth_value=VALUE, cart_value=CART, **kw).per_query


def test_free_delivery_by_hand():
    pq = _run(ThresholdTerms(value=100.0, benefit="free_delivery", amount=4.0, margin_rate=0.25))
    np.testing.assert_array_equal(pq["threshold_reached@1"], [1, 0, 1])
    np.testing.assert_array_equal(pq["threshold_crossed@1"], [1, 0, 0])
    np.testing.assert_array_equal(pq["threshold_reached@2"], [1, 0, 1])
    np.testing.assert_allclose(pq["benefit_cost@2"], [4.0, 0.0, 4.0])
    np.testing.assert_allclose(pq["order_value_lift@2"], [30.0, 50.0, 8.0])
    # net margin = 0.25 x add-on value - fee
    np.testing.assert_allclose(pq["net_margin@2"], [0.25 * 30 - 4, 0.25 * 50, 0.25 * 8 - 4])
    np.testing.assert_allclose(pq["net_margin@1"], [0.25 * 30 - 4, 0.0, 0.25 * 8 - 4])


def test_tier_discount_and_truth_margin_by_hand():
    margin = sp.csr_matrix(np.array([[10.0, 1.0, 0, 0], [0, 0, 20.0, 0], [0, 0, 0, 3.0]]))
    pq = _run(ThresholdTerms(value=100.0, benefit="tier_discount", amount=0.1), truth_margin=margin)
    np.testing.assert_allclose(pq["benefit_cost@1"], [11.0, 0.0, 12.8])          # 10 % of 110 and of 128
    np.testing.assert_allclose(pq["order_value_lift@1"], [30 - 11.0, 0.0, 8 - 12.8])
    np.testing.assert_allclose(pq["net_margin@1"], [10 - 11.0, 0.0, 3 - 12.8])


def test_exactly_at_threshold_reaches_it():
    terms = ThresholdTerms(value=110.0, amount=1.0, margin_rate=0.0)
    pq = _run(terms)
    assert pq["threshold_reached@1"].iloc[0] == 1.0        # 80 + 30 = 110 = T


def test_against_a_loop_on_random_data():
    rng = np.random.default_rng(3)
    n, m, k = 60, 15, 5
    truth = sp.csr_matrix((rng.random((n, m)) < 0.2).astype(float))
    value = truth.multiply(rng.uniform(1, 40, (n, m))).tocsr()
    recs = np.array([rng.permutation(m)[:k] for _ in range(n)])
    cart = rng.uniform(0, 120, n)
    terms = ThresholdTerms(value=90.0, benefit="free_delivery", amount=5.0, margin_rate=0.3)
    pq = evaluate(recs, truth, threshold_metrics(terms), ks=[k], truth_value=value, cart_value=cart,
                  empty_truth="zero").per_query
    dense_t, dense_v = truth.toarray(), value.toarray()
    for q in range(n):
        addon = sum(dense_v[q, i] for i in recs[q] if dense_t[q, i] > 0)
        reached = cart[q] + addon >= 90.0
        assert pq["threshold_reached@5"].iloc[q] == float(reached)
        assert pq["net_margin@5"].iloc[q] == pytest.approx(0.3 * addon - 5.0 * reached)


def test_net_margin_needs_a_margin_source():
    metrics = threshold_metrics(ThresholdTerms(value=100.0))
    assert "net_margin" not in [m.name for m in metrics]


def test_bad_terms_and_inputs():
    with pytest.raises(ConfigError, match="value"):
        ThresholdTerms(value=0.0)
    with pytest.raises(ConfigError, match="amount"):
        ThresholdTerms(value=10.0, benefit="tier_discount", amount=1.0)
    with pytest.raises(ConfigError, match="cart_value"):
        evaluate(RECS, TRUTH, threshold_metrics(ThresholdTerms(value=100.0)), ks=[1], truth_value=VALUE)
    with pytest.raises(DataError, match="cart_value"):
        evaluate(RECS, TRUTH, threshold_metrics(ThresholdTerms(value=100.0)), ks=[1], truth_value=VALUE,
                 cart_value=np.array([1.0, -2.0, 3.0]))
