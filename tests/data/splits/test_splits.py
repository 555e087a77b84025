import numpy as np
import pandas as pd
import pytest

from cs_lab.data import schema as S
from cs_lab.data.splits import (UnknownPolicy, basket_completion, leave_last_basket, random_basket_split,
                                temporal_split)
from cs_lab.data.splits.base import Split
from cs_lab.data.synthetic import generate
from cs_lab.errors import ConfigError, DataError, LeakageError


@pytest.fixture(scope="module")
def lines():
    return generate(n_baskets=1200, seed=1).dataset.lines


def test_temporal_by_fraction_and_date(lines):
    s = temporal_split(lines, test_fraction=0.25)
    assert s.train[S.TIMESTAMP].max() < s.cutoff <= s.test[S.TIMESTAMP].min()  # no straddling baskets here
    share = s.test[S.BASKET].nunique() / lines[S.BASKET].nunique()
    assert 0.2 < share < 0.3
    s2 = temporal_split(lines, cutoff=str(s.cutoff))
    assert s2.test[S.BASKET].nunique() == s.test[S.BASKET].nunique()
    assert len(s.train) + len(s.test) == len(lines)


def test_whole_baskets_move_together():
    df = generate(n_baskets=50, seed=2).dataset.lines.copy()
    # a basket straddling the cut-off: its later line must follow its first line's time
    b = df[S.BASKET].iloc[0]
    df.loc[df[S.BASKET] == b, S.TIMESTAMP] = [df[S.TIMESTAMP].iloc[0]] + [df[S.TIMESTAMP].max()] * (
        (df[S.BASKET] == b).sum() - 1)
    s = temporal_split(df, test_fraction=0.5)
    assert b not in set(s.test[S.BASKET])


def test_fingerprint_is_stable_and_sensitive(lines):
    a, b = temporal_split(lines, test_fraction=0.2), temporal_split(lines, test_fraction=0.2)
    assert a.fingerprint == b.fingerprint
    assert temporal_split(lines, test_fraction=0.3).fingerprint != a.fingerprint
    altered = lines.copy()
    altered.loc[altered.index[-1], S.QUANTITY] += 1
    assert temporal_split(altered, test_fraction=0.2).fingerprint != a.fingerprint


def test_leakage_check_catches_overlap(lines):
    s = temporal_split(lines, test_fraction=0.2)
    bad = Split("temporal", pd.concat([s.train, s.test.head(3)]), s.test, cutoff=s.cutoff)
    with pytest.raises(LeakageError):
        bad.check_no_leakage()


def test_unknown_policy(lines):
    s_keep = temporal_split(lines, test_fraction=0.3)
    unknown = ~s_keep.test[S.ITEM].isin(s_keep.train[S.ITEM])
    s_drop = temporal_split(lines, test_fraction=0.3, unknown=UnknownPolicy(items="drop"))
    assert len(s_drop.test) == len(s_keep.test) - unknown.sum()
    assert s_drop.test[S.ITEM].isin(s_drop.train[S.ITEM]).all()
    s_anon = temporal_split(lines, test_fraction=0.3, unknown=UnknownPolicy(customers="anonymise"))
    known = set(s_anon.train[S.CUSTOMER].dropna())
    assert s_anon.test[S.CUSTOMER].dropna().isin(known).all()
    if unknown.any():
        with pytest.raises(DataError, match="items not in training"):
            temporal_split(lines, test_fraction=0.3, unknown=UnknownPolicy(items="error"))


def test_bad_split_config(lines):
    with pytest.raises(ConfigError):
        temporal_split(lines)
    with pytest.raises(ConfigError):
        temporal_split(lines, test_fraction=1.5)
    with pytest.raises(ConfigError, match="empty"):
        temporal_split(lines, cutoff="1990-01-01")
    no_time = lines.assign(**{S.TIMESTAMP: pd.NaT})
    with pytest.raises(DataError, match="no timestamps"):
        temporal_split(no_time, test_fraction=0.2)


def test_leave_last_basket(lines):
    s = leave_last_basket(lines)
    assert s.test[S.CUSTOMER].notna().all()
    per_cust = s.test.groupby(S.CUSTOMER)[S.BASKET].nunique()
    assert (per_cust == 1).all()
    last = lines.dropna(subset=[S.CUSTOMER]).groupby(S.CUSTOMER)[S.TIMESTAMP].max()
    tmin = s.test.groupby(S.CUSTOMER)[S.TIMESTAMP].min()
    assert (tmin == last.loc[tmin.index]).all()


def test_random_baskets_reproducible(lines):
    a, b = random_basket_split(lines, seed=3), random_basket_split(lines, seed=3)
    assert a.fingerprint == b.fingerprint
    assert random_basket_split(lines, seed=4).fingerprint != a.fingerprint


@pytest.mark.parametrize("mode", ["leave_one_out", "fraction"])
def test_basket_completion(lines, mode):
    s = temporal_split(lines, test_fraction=0.3)
    h = basket_completion(s.test, mode=mode, fraction=0.5, seed=7)
    h2 = basket_completion(s.test, mode=mode, fraction=0.5, seed=7)
    assert h.fingerprint == h2.fingerprint
    assert basket_completion(s.test, mode=mode, fraction=0.5, seed=8).fingerprint != h.fingerprint
    sizes = s.test.groupby(S.BASKET)[S.ITEM].nunique()
    assert set(h.queries["query_id"]) == set(sizes[sizes >= 2].index.astype(str))
    assert (h.queries["cart_size"] >= 1).all() and (h.queries["n_hidden"] >= 1).all()
    assert (h.queries["cart_size"] + h.queries["n_hidden"]).to_numpy().tolist() == \
        sizes.loc[h.queries[S.BASKET]].to_numpy().tolist()
    if mode == "leave_one_out":
        assert (h.queries["n_hidden"] == 1).all()
    assert h.cart.merge(h.truth, on=["query_id", S.ITEM]).empty
    # truth values are the basket's own lines
    assert np.isclose(h.truth[S.VALUE].sum() + 0, s.test.merge(
        h.truth[["query_id", S.ITEM]].rename(columns={"query_id": S.BASKET}), on=[S.BASKET, S.ITEM])[S.VALUE].sum())


def test_basket_completion_sampling(lines):
    s = temporal_split(lines, test_fraction=0.3)
    h = basket_completion(s.test, max_queries=50, seed=1)
    assert len(h.queries) == 50
    with pytest.raises(ConfigError):
        basket_completion(s.test, min_items=1)


def test_item_to_item_holdout(lines):
    s = temporal_split(lines, test_fraction=0.3)
    h = basket_completion(s.test, mode="item_to_item", seed=2)
    assert (h.queries["cart_size"] == 1).all()
    sizes = s.test.groupby(S.BASKET)[S.ITEM].nunique()
    assert (h.queries["n_hidden"].to_numpy() == sizes.loc[h.queries[S.BASKET]].to_numpy() - 1).all()
