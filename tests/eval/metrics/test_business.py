"""Business metrics on hand-worked examples."""

from __future__ import annotations

import numpy as np
import pytest

from cs_lab.eval import Catalog, evaluate, truth_from_lists

# items: 0 price 10 qty 2 cost 6 | 1 price 5 qty NaN cost NaN | 2 price NaN | 3 price 1 cost 0.5
CATALOG = Catalog(price=np.array([10.0, 5.0, np.nan, 1.0]), quantity=np.array([2.0, np.nan, 1.0, 3.0]),
                  cost=np.array([6.0, np.nan, 1.0, 0.5]))
RECS = np.array([
    [0, 1, 2],   # truth {0, 2}: hits 0 (rank 1) and 2 (rank 3, unknown price)
    [3, 0, -1],  # truth {0}: hit at rank 2
    [1, 3, 0],   # truth {}: empty truth
    [2, 1, 3],   # truth {3, 1}: hits at rank 2 and 3
])
TRUTH = truth_from_lists([[0, 2], [0], [], [3, 1]], 4)


def run(metrics, empty_truth="exclude"):
    return evaluate(RECS, TRUTH, metrics=metrics, ks=(1, 2, 3), catalog=CATALOG, empty_truth=empty_truth)


def test_revenue_uses_price_times_typical_quantity_and_ignores_nan_price():
    q = run(["revenue"]).per_query
    assert q["revenue@1"].tolist()[:2] == [20.0, 0.0]
    assert q["revenue@2"].tolist()[:2] == [20.0, 20.0]
    assert q["revenue@3"].iloc[0] == 20.0           # item 2 hit, price NaN -> 0
    assert q["revenue@3"].iloc[3] == 5.0 + 3.0      # item 1 (qty NaN -> 1) + item 3 (1 x 3)
    assert np.isnan(q["revenue@3"].iloc[2])         # empty truth excluded


def test_margin_only_counts_known_costs():
    q = run(["margin"]).per_query
    assert q["margin@1"].iloc[0] == (10 - 6) * 2
    assert q["margin@3"].iloc[3] == pytest.approx((1 - 0.5) * 3)  # item 1 has no cost


def test_attach_rate_and_addon_value():
    res = run(["revenue", "attach_rate", "addon_value"])
    assert res.summary["attach_rate"] == {1: pytest.approx(1 / 3), 2: 1.0, 3: 1.0}
    # mean revenue over the 3 queries with truth
    assert res.summary["addon_value"][2] == pytest.approx((20 + 20 + 5) / 3)
    assert res.summary["addon_value"][3] == pytest.approx(res.summary["revenue"][3])
    zero = run(["revenue", "addon_value"], empty_truth="zero")
    assert zero.per_query["revenue@3"].iloc[2] == 0.0
    assert zero.summary["addon_value"][3] == pytest.approx((20 + 20 + 0 + 8) / 4)


def test_quantity_defaults_to_one():
    res = evaluate(RECS, TRUTH, metrics=["revenue"], ks=(1,), catalog=Catalog(price=np.ones(4) * 2))
    assert res.per_query["revenue@1"].iloc[0] == 2.0
