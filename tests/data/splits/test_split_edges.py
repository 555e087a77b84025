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


# -- boundaries and bookkeeping the mutation run found unpinned (docs/testing.md) ---------------------
def _customer_lines(spec: dict[str, list[tuple[str, str]]]) -> pd.DataFrame:
    """customer -> [(basket, time)], two items per basket."""
    rows = [{S.BASKET: b, S.CUSTOMER: c, S.ITEM: f"i{j}", S.TIMESTAMP: pd.Timestamp(t), S.QUANTITY: 1.0,
             S.UNIT_PRICE: 1.0, S.VALUE: 1.0} for c, bs in spec.items() for b, t in bs for j in range(2)]
    return pd.DataFrame(rows)


def test_leave_last_basket_boundaries():
    from cs_lab.data.splits import leave_last_basket

    lines = _customer_lines({"two": [("t1", "2024-01-01"), ("t2", "2024-01-05")],
                             "three": [("h1", "2024-01-01"), ("h2", "2024-01-02"), ("h3", "2024-01-09")],
                             "one": [("o1", "2024-01-03")]})
    s = leave_last_basket(lines)                                   # default min_baskets=2
    assert sorted(s.test[S.BASKET].unique()) == ["h3", "t2"]
    assert sorted(leave_last_basket(lines, min_baskets=3).test[S.BASKET].unique()) == ["h3"]
    assert s.params == {"min_baskets": 2}


def test_leave_last_per_customer_check_allows_ties_and_catches_later_training():
    from cs_lab.data.splits.leave_last import _check_per_customer

    train = _customer_lines({"c": [("a", "2024-01-05")]})
    tie = Split("leave_last_basket", train, _customer_lines({"c": [("b", "2024-01-05")]}))
    _check_per_customer(tie)                       # same time is not "after"
    later = Split("leave_last_basket", train, _customer_lines({"c": [("b", "2024-01-04")]}))
    with pytest.raises(LeakageError, match="after their test basket"):
        _check_per_customer(later)


def test_unknown_policy_counts_what_it_drops():
    from cs_lab.data.splits.policy import UnknownPolicy, apply_unknown_policy

    train = _lines({"a": ("2024-01-01", 2)})                      # items i0, i1; customer ca
    test = _lines({"b": ("2024-01-02", 3), "c": ("2024-01-03", 1)})  # i2 unknown; customers cb, cc unknown
    test.loc[test[S.BASKET] == "c", S.CUSTOMER] = "ca"
    out, dropped = apply_unknown_policy(train, test, UnknownPolicy())
    assert dropped == {"test_lines_unknown_item": 0, "test_lines_unknown_customer": 0} and len(out) == 4
    out, dropped = apply_unknown_policy(train, test, UnknownPolicy(items="drop"))
    assert dropped["test_lines_unknown_item"] == 1 and len(out) == 3
    out, dropped = apply_unknown_policy(train, test, UnknownPolicy(customers="drop"))
    assert dropped["test_lines_unknown_customer"] == 3 and out[S.BASKET].tolist() == ["c"]
    out, dropped = apply_unknown_policy(train, test, UnknownPolicy(customers="anonymise"))
    assert dropped["test_lines_unknown_customer"] == 0 and out[S.CUSTOMER].isna().sum() == 3
    assert out.index.tolist() == list(range(len(out)))


@pytest.mark.parametrize("bad", [0.0, 1.0, -0.1, 1.5])
def test_fractions_outside_the_open_interval_are_rejected(bad):
    from cs_lab.data.splits import random_basket_split, temporal_split
    from cs_lab.errors import ConfigError

    lines = _lines({f"b{i}": (f"2024-01-{i + 1:02d}", 2) for i in range(10)})
    with pytest.raises(ConfigError, match="test_fraction"):
        random_basket_split(lines, test_fraction=bad)
    with pytest.raises(ConfigError, match="test_fraction"):
        temporal_split(lines, test_fraction=bad)
    with pytest.raises(ConfigError, match="holdout.fraction"):
        basket_completion(lines, mode="fraction", fraction=bad)
    basket_completion(lines, mode="leave_one_out", fraction=bad)   # fraction only matters in fraction mode


def test_random_split_size_and_default_seed():
    from cs_lab.data.splits import random_basket_split

    lines = _lines({f"b{i}": ("2024-01-01", 2) for i in range(40)})
    s = random_basket_split(lines, test_fraction=0.3)
    assert s.test[S.BASKET].nunique() == 12 and s.train[S.BASKET].nunique() == 28
    assert s.fingerprint == random_basket_split(lines, test_fraction=0.3, seed=0).fingerprint
    assert s.fingerprint != random_basket_split(lines, test_fraction=0.3, seed=1).fingerprint


def test_holdout_defaults_params_and_sampling_boundary():
    test = _lines({f"b{i}": ("2024-02-01", 2 + i % 4) for i in range(30)})
    h = basket_completion(test)
    assert h.params == {"mode": "leave_one_out", "fraction": None, "min_items": 2, "seed": 0, "max_queries": None}
    assert h.fingerprint == basket_completion(test, seed=0).fingerprint != basket_completion(test, seed=1).fingerprint
    assert len(h.fingerprint) == 16
    assert basket_completion(test, mode="fraction", fraction=0.4).params["fraction"] == 0.4
    # max_queries equal to the number of baskets keeps them all and draws nothing extra
    same = basket_completion(test, max_queries=30)
    pd.testing.assert_frame_equal(same.truth, h.truth)
    assert len(basket_completion(test, max_queries=29).queries) == 29


def test_split_summary_and_fingerprint():
    train = _lines({"a": ("2024-01-01", 2), "b": ("2024-01-02", 3)})
    test = _lines({"c": ("2024-01-10", 2)})
    s = Split("temporal", train, test, {"x": 1}, cutoff=CUT)
    summary = s.summary()
    assert summary == {"kind": "temporal", "params": {"x": 1}, "fingerprint": s.fingerprint,
                       "cutoff": str(CUT), "train_lines": 5, "test_lines": 2, "train_baskets": 2,
                       "test_baskets": 1, "dropped": {}}
    assert Split("random_baskets", train, test).summary()["cutoff"] is None
    assert len(s.fingerprint) == 16


def test_temporal_params_record_the_cutoff_given():
    from cs_lab.data.splits import temporal_split

    lines = _lines({f"b{i}": (f"2024-01-{i + 1:02d}", 2) for i in range(10)})
    assert temporal_split(lines, test_fraction=0.3).params["cutoff"] is None
    by_date = temporal_split(lines, cutoff="2024-01-08")
    assert by_date.params["cutoff"] == "2024-01-08 00:00:00" and by_date.cutoff == pd.Timestamp("2024-01-08")
    assert sorted(by_date.test[S.BASKET].unique()) == ["b7", "b8", "b9"]
