"""Next-basket split and holdout (Li et al. 2023): last basket = target, anonymous lines dropped,
min_baskets respected, rolling drop_last, per-customer leakage check."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cs_lab.data import schema as S
from cs_lab.data.splits import Split, next_basket_holdout, next_basket_split
from cs_lab.data.splits.next_basket import check_customer_cutoffs, customer_baskets
from cs_lab.data.synthetic import generate
from cs_lab.errors import ConfigError, DataError, LeakageError


def _lines(spec: dict) -> pd.DataFrame:
    """customer (None = anonymous) -> [(basket id, day, items)]; rows shuffled so order never helps."""
    rows = [{S.CUSTOMER: c, S.BASKET: b, S.ITEM: it, S.TIMESTAMP: pd.Timestamp("2024-01-01") + pd.Timedelta(days=d),
             S.QUANTITY: 2.0, S.UNIT_PRICE: 1.5, S.VALUE: 3.0}
            for c, baskets in spec.items() for b, d, items in baskets for it in items]
    df = pd.DataFrame(rows).sample(frac=1.0, random_state=0).reset_index(drop=True)
    df[S.CUSTOMER] = df[S.CUSTOMER].astype(S.STRING)
    return df


# basket ids deliberately not in time order (z is a's first basket)
DATA = {
    "a": [("z", 1, "xy"), ("a2", 3, "y"), ("a3", 5, "yw"), ("a1", 7, "xyv")],
    "b": [("b1", 2, "x"), ("b2", 4, "xu"), ("b3", 6, "uq")],
    "c": [("c1", 1, "x"), ("c2", 2, "y")],
    None: [("anon1", 8, "xy"), ("anon2", 0, "q")],
}


def baskets(df: pd.DataFrame) -> set:
    return set(df[S.BASKET].unique())


def test_each_customers_last_basket_by_time_is_the_target():
    s = next_basket_split(_lines(DATA), min_baskets=3)
    assert baskets(s.test) == {"a1", "b3"}                      # a1 is a's LAST basket (day 7), whatever its id
    assert baskets(s.train) == {"z", "a2", "a3", "b1", "b2", "c1", "c2"}
    assert s.train[S.CUSTOMER].notna().all() and s.test[S.CUSTOMER].notna().all()   # anonymous lines dropped
    assert s.dropped["anonymous_lines"] == 3 and s.dropped["customers_too_few_baskets"] == 1
    assert s.customer_cutoffs.to_dict() == {"a": pd.Timestamp("2024-01-08"), "b": pd.Timestamp("2024-01-07")}


@pytest.mark.parametrize("min_baskets, targets", [(2, {"a1", "b3", "c2"}), (3, {"a1", "b3"}), (4, {"a1"}),
                                                  (5, set())])
def test_min_baskets(min_baskets, targets):
    s = next_basket_split(_lines(DATA), min_baskets=min_baskets)
    assert baskets(s.test) == targets
    # customers that are not queries keep every basket in training
    assert baskets(s.train) == {b for c, bs in DATA.items() if c for b, _, _ in bs} - targets


def test_drop_last_moves_the_origin_back_one_basket_per_customer():
    s = next_basket_split(_lines(DATA), min_baskets=3, drop_last=1)
    # a: a1 dropped, a3 is the target; b has 2 baskets left (< 3): no target; c: c2 dropped
    assert baskets(s.test) == {"a3"}
    assert baskets(s.train) == {"z", "a2", "b1", "b2", "c1"}
    assert s.dropped["later_basket_lines"] == 3 + 2 + 1
    s2 = next_basket_split(_lines(DATA), min_baskets=2, drop_last=1)
    assert baskets(s2.test) == {"a3", "b2"}


def test_no_future_on_generated_data():
    lines = generate(n_customers=80, n_items=40, n_baskets=900, seed=5).dataset.lines
    for drop in (0, 2):
        s = next_basket_split(lines, min_baskets=3, drop_last=drop)
        b = customer_baskets(lines)
        last = b[b["from_end"] == drop].set_index(S.CUSTOMER)
        t_test = s.test.groupby(S.CUSTOMER, observed=True)[S.TIMESTAMP].min()
        # exactly one target per query customer: their (drop)-th basket from the end
        per = s.test.groupby(S.CUSTOMER, observed=True)[S.BASKET].unique()
        assert all(len(v) == 1 and v[0] == last.loc[c, S.BASKET] for c, v in per.items())
        # training holds no basket of a customer at or after their target (these data have no ties)
        tr = s.train.groupby([S.CUSTOMER, S.BASKET], observed=True)[S.TIMESTAMP].min().reset_index()
        tr = tr[tr[S.CUSTOMER].isin(t_test.index)]
        assert (tr[S.TIMESTAMP].to_numpy() < t_test.reindex(tr[S.CUSTOMER]).to_numpy()).all()
        # eligible customers: >= 3 baskets left after dropping
        n_left = b[b["from_end"] >= drop].groupby(S.CUSTOMER, observed=True).size()
        assert set(per.index) == set(n_left[n_left >= 3].index)
        assert not lines.loc[lines[S.CUSTOMER].isna(), S.BASKET].isin(s.train[S.BASKET]).any()


def test_cutoff_check_catches_a_later_training_basket_and_allows_ties():
    s = next_basket_split(_lines(DATA), min_baskets=3)
    late = s.test[s.test[S.BASKET] == "a1"].assign(**{S.BASKET: "late", S.TIMESTAMP: pd.Timestamp("2024-01-09")})
    bad = Split("next_basket", pd.concat([s.train, late], ignore_index=True), s.test,
                customer_cutoffs=s.customer_cutoffs)
    with pytest.raises(LeakageError, match="after their customer's target"):
        check_customer_cutoffs(bad)
    tie = late.assign(**{S.TIMESTAMP: pd.Timestamp("2024-01-08")})
    check_customer_cutoffs(Split("next_basket", pd.concat([s.train, tie], ignore_index=True), s.test,
                                 customer_cutoffs=s.customer_cutoffs))
    two = Split("next_basket", s.train, pd.concat([s.test, late], ignore_index=True),
                customer_cutoffs=s.customer_cutoffs)
    with pytest.raises(LeakageError, match="more than one test basket"):
        check_customer_cutoffs(two)


def test_holdout_has_empty_carts_and_the_whole_basket_as_truth():
    s = next_basket_split(_lines(DATA), min_baskets=3)
    h = next_basket_holdout(s.test, s.train)
    assert len(h.cart) == 0 and (h.queries["cart_size"] == 0).all()
    truth = h.truth.groupby("query_id")[S.ITEM].apply(lambda x: "".join(sorted(x))).to_dict()
    assert truth == {"a1": "vxy", "b3": "qu"}
    assert h.queries.set_index("query_id")["n_history_baskets"].to_dict() == {"a1": 3, "b3": 2}
    assert h.queries.set_index("query_id")[S.CUSTOMER].to_dict() == {"a1": "a", "b3": "b"}
    assert np.allclose(h.truth[S.QUANTITY], 2.0) and np.allclose(h.truth[S.VALUE], 3.0)


def test_bad_input_is_named():
    lines = _lines(DATA)
    with pytest.raises(ConfigError, match="min_baskets"):
        next_basket_split(lines, min_baskets=1)
    with pytest.raises(DataError, match="no customer ids"):
        next_basket_split(lines.assign(**{S.CUSTOMER: pd.NA}).astype({S.CUSTOMER: S.STRING}))
