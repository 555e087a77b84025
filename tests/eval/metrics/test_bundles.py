"""Bundle metrics against a hand computation, and their absence without offers."""

import numpy as np
import pytest
import scipy.sparse as sp

from cs_lab.errors import DataError
from cs_lab.eval import evaluate
from cs_lab.eval.offers import SlotOffers

N_ITEMS = 6
RECS = np.array([[1, 2, 3, 4],
                 [3, 1, 0, -1],
                 [2, 0, 4, 5],
                 [0, 1, 2, 3],
                 [1, 2, 3, 4]])
# hidden lines (query, item, value, margin); query 4 has none
LINES = [(0, 1, 10.0, 4.0), (0, 2, 20.0, 5.0), (0, 5, 7.0, 1.0),
         (1, 0, 5.0, 2.0), (1, 1, 8.0, 3.0),
         (2, 0, 6.0, 2.0),
         (3, 0, 9.0, 3.0)]
OFFERS = SlotOffers(size=np.array([2, 1, 2, 0, 2]), discount=np.array([0.1, 0.1, 0.2, 0.0, 0.1]))


def _csr(col):
    q, i = [r[0] for r in LINES], [r[1] for r in LINES]
    return sp.csr_array(([r[col] for r in LINES], (q, i)), shape=(5, N_ITEMS))


def _run(offers=OFFERS, ks=(1, 2, 4)):
    return evaluate(RECS, _csr(2) > 0, ks=ks, n_items=N_ITEMS, truth_value=_csr(2), truth_margin=_csr(3),
                    offers=offers)


def test_by_hand():
    pq = _run().per_query
    # q0: bundle [1, 2] both bought -> full; revenue (10 + 20) x 0.9, discount 3, margin 4 + 5 - 3
    # q1: bundle [3] not bought; q2: bundle [2, 0], only 0 bought -> revenue 6 at full price, margin 2
    # q3: no bundle offered -> 0; q4: no hidden items -> NaN (excluded)
    expect = {
        "bundle_offered@2": [1, 1, 1, 0, 1],              # every cart counts, hidden items or not
        "bundle_offered@1": [0, 1, 0, 0, 0],
        "bundle_hit@2": [1, 0, 1, 0, np.nan],
        "full_bundle_hit@2": [1, 0, 0, 0, np.nan],
        "bundle_revenue@2": [27, 0, 6, 0, np.nan],
        "bundle_discount_cost@2": [3, 0, 0, 0, np.nan],
        "bundle_margin@2": [6, 0, 2, 0, np.nan],
        # at k=1 a two-slot bundle is not shown whole: it does not count
        "bundle_hit@1": [0, 0, 0, 0, np.nan],
        "full_bundle_hit@4": [1, 0, 0, 0, np.nan],
    }
    for col, want in expect.items():
        np.testing.assert_allclose(pq[col].to_numpy(), want, err_msg=col)


def test_summary_is_the_mean_over_carts_with_hidden_items():
    res = _run()
    assert res.value("bundle_revenue@2") == pytest.approx((27 + 6) / 4)
    assert res.value("full_bundle_hit@4") == pytest.approx(1 / 4)


def test_absent_without_offers():
    res = evaluate(RECS, _csr(2) > 0, ks=(2,), n_items=N_ITEMS, truth_value=_csr(2))
    assert not any(m.startswith(("bundle", "full_bundle")) for m in res.metric_names())


def test_margin_needs_costs():
    res = evaluate(RECS, _csr(2) > 0, ks=(2,), n_items=N_ITEMS, truth_value=_csr(2), offers=OFFERS)
    names = res.metric_names()
    assert "bundle_revenue@2" in names and "bundle_margin@2" not in names


def test_bad_offers_rejected():
    with pytest.raises(DataError, match="one value per query"):
        _run(SlotOffers(np.array([1, 1]), np.array([0.1, 0.1])))
    with pytest.raises(DataError, match="fraction"):
        _run(SlotOffers(OFFERS.size, np.full(5, 1.5)))
