"""Edges the broad split tests do not pin: the temporal cut-off branch of the leakage check (with no
shared basket, so the overlap branch cannot answer first) and the exact hidden count of the
fraction holdout."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cs_lab.data import schema as S
from cs_lab.data.splits import basket_completion
from cs_lab.data.splits.base import Split
from cs_lab.errors import LeakageError

CUT = pd.Timestamp("2024-01-10")


def _lines(baskets: dict[str, tuple[str, int]]) -> pd.DataFrame:
    """basket id -> (timestamp, n items); one line per item, items i0..i{n-1}."""
    rows = [{S.BASKET: b, S.CUSTOMER: f"c{b}", S.ITEM: f"i{j}", S.TIMESTAMP: pd.Timestamp(t),
             S.QUANTITY: 1.0, S.UNIT_PRICE: 1.0, S.VALUE: 1.0}
            for b, (t, n) in baskets.items() for j in range(n)]
    return pd.DataFrame(rows)


def test_clean_temporal_split_passes():
    train = _lines({"a": ("2024-01-01", 2), "b": ("2024-01-09 23:59", 2)})
    test = _lines({"c": ("2024-01-10", 2), "d": ("2024-01-20", 2)})
    Split("temporal", train, test, cutoff=CUT).check_no_leakage()


def test_training_basket_exactly_at_the_cutoff_is_leakage():
    # no basket is shared, so only the cut-off branch can see this
    train = _lines({"a": ("2024-01-01", 2), "b": ("2024-01-10", 2)})
    test = _lines({"c": ("2024-01-11", 2)})
    with pytest.raises(LeakageError, match="training basket"):
        Split("temporal", train, test, cutoff=CUT).check_no_leakage()


def test_test_basket_before_the_cutoff_is_leakage():
    train = _lines({"a": ("2024-01-01", 2)})
    test = _lines({"c": ("2024-01-09 23:59:59", 2), "d": ("2024-01-12", 2)})
    with pytest.raises(LeakageError, match="test basket"):
        Split("temporal", train, test, cutoff=CUT).check_no_leakage()


def test_without_a_cutoff_times_are_not_checked():
    # random basket splits have no cut-off: interleaved times are fine
    train = _lines({"a": ("2024-01-20", 2)})
    test = _lines({"c": ("2024-01-01", 2)})
    Split("random_baskets", train, test).check_no_leakage()


@pytest.mark.parametrize("fraction", [0.1, 0.25, 0.3, 0.5, 0.6, 0.75, 0.9])
def test_fraction_holdout_hides_round_f_n_clipped(fraction):
    sizes = list(range(2, 13))
    test = _lines({f"b{n}": ("2024-02-01", n) for n in sizes})
    h = basket_completion(test, mode="fraction", fraction=fraction, seed=3)
    got = h.queries.set_index(S.BASKET)["n_hidden"]
    n = np.array(sizes)
    want = np.clip(np.round(fraction * n), 1, n - 1).astype(int)
    assert got.loc[[f"b{k}" for k in sizes]].tolist() == want.tolist()
    cart = h.queries.set_index(S.BASKET)["cart_size"].loc[[f"b{k}" for k in sizes]]
    assert (cart.to_numpy() + want == n).all()
