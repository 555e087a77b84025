import numpy as np
import pandas as pd
import pytest

from cs_lab.errors import DataError
from cs_lab.simulate.exposure.display import estimate_display_effects, treatment_columns
from cs_lab.simulate.exposure.panel import build_panel, busiest_stores


def _promos():
    return pd.DataFrame({
        "product_id": [10, 10, 10, 20, 20],
        "store_id": [1, 1, 1, 1, 2],
        "display_location": ["3", "0", "0", "A", "0"],
        "mailer_location": ["0", "A", "0", "D", "H"],
        "week": [1, 2, 2, 3, 1],    # (10, 1, week 2) listed twice: mailer in one row, nothing in the other
    })


def _tx():
    return pd.DataFrame({
        "household_id": [1, 1, 2, 3, 3, 4, 5],
        "store_id": [1, 1, 1, 1, 2, 1, 9],
        "product_id": [10, 10, 10, 20, 20, 99, 10],
        "week": [1, 1, 1, 3, 2, 2, 1],
    })


def test_cells_flags_and_outcome():
    p = build_panel(_promos(), _tx(), stores=(1, 2), n_weeks=3)
    df = pd.DataFrame({"pair": p.pair, "week": p.week, "d": p.display, "m": p.mailer, "b": p.buyers,
                       "s": p.shoppers})
    # pairs (10,1)=0, (20,1)=1, (20,2)=2; store 1 has shoppers in weeks 1 (hh 1,2), 2 (hh 4), 3 (hh 3);
    # store 2 only in week 2 (hh 3): its weeks 1 and 3 carry no weight and are dropped.
    assert p.n_pairs == 3 and len(p) == 3 + 3 + 1
    got = {(r.pair, r.week): (r.d, r.m, r.b, r.s) for r in df.itertuples()}
    assert got[(0, 1)] == (True, False, 2, 2)     # household 1 bought twice: one buyer
    assert got[(0, 2)] == (False, True, 0, 1)     # duplicate listing: promoted when any row says so
    assert got[(0, 3)] == (False, False, 0, 1)
    assert got[(1, 3)] == (True, True, 1, 1)
    assert got[(2, 2)] == (False, False, 1, 1)    # promoted in week 1 (dropped: nobody shopped), bought in week 2
    assert (2, 1) not in got
    np.testing.assert_array_equal(p.product, [0, 0, 0, 1, 1, 1, 1])
    x = treatment_columns(p)
    assert x.sum(axis=1).max() == 1                # exclusive categories
    assert x[(p.pair == 1) & (p.week == 3), 2] == 1   # both -> display_and_mailer
    nxt = {(r.pair, r.week): (bool(a), bool(b)) for r, a, b in zip(df.itertuples(), p.display_next, p.mailer_next)}
    assert nxt[(0, 1)] == (False, True)            # week 2 of pair 0 is in the mailer
    assert nxt[(0, 2)] == (False, False)
    assert nxt[(0, 3)] == (False, False)           # last week: no next week
    assert nxt[(1, 2)] == (True, True)
    assert nxt[(1, 3)] == (False, False)           # the next pair's first week (mailer) is not its next week


def test_busiest_stores_counts_household_weeks_in_promotion_stores():
    assert busiest_stores(_promos(), _tx(), 1) == (1,)      # store 9 has no promotions
    assert busiest_stores(_promos(), _tx(), 5) == (1, 2)


def test_bad_input_named():
    bad = _promos().assign(week=[1, 2, 2, 3, 60])
    with pytest.raises(DataError, match="promotions: week 60 at row 4"):
        build_panel(bad, _tx(), (1,), n_weeks=53)
    with pytest.raises(DataError, match="lacks column"):
        build_panel(_promos().drop(columns="mailer_location"), _tx(), (1,))
    with pytest.raises(DataError, match="no row in stores"):
        build_panel(_promos(), _tx(), (7,))


def test_planted_display_effect_is_recovered_from_tables():
    """Tables generated with a known display effect on purchase probability (+0.05), confounded by
    product popularity (popular products are displayed more): the panel + fixed effects recover the
    absolute effect and the treated cells' ratio, which the pooled comparison overstates."""
    rng = np.random.default_rng(0)
    n_products, stores, weeks, households, effect = 150, (1, 2, 3), 20, 60, 0.05
    base = rng.uniform(0.02, 0.2, n_products)
    promo_rows, tx_rows, treated_base = [], [], []
    for s in stores:
        for w in range(1, weeks + 1):
            shoppers = rng.choice(households, 30, replace=False) + 1000 * s
            for prod in range(n_products):
                on = rng.random() < 0.02 + 3 * base[prod] ** 1.5
                if on:
                    promo_rows.append((prod, s, "5", "0", w))
                    treated_base.append(base[prod])
                prob = base[prod] + (effect if on else 0.0)
                buyers = shoppers[rng.random(len(shoppers)) < prob]
                tx_rows += [(h, s, prod, w) for h in buyers]
    promos = pd.DataFrame(promo_rows, columns=["product_id", "store_id", "display_location", "mailer_location",
                                               "week"])
    tx = pd.DataFrame(tx_rows, columns=["household_id", "store_id", "product_id", "week"])
    p = build_panel(promos, tx, stores, n_weeks=weeks)
    lift = estimate_display_effects(p).lifts["display_only"]
    true_ratio = (np.mean(treated_base) + effect) / np.mean(treated_base)
    pooled = p.y[p.display].mean() / p.y[~p.display].mean()
    assert pooled > true_ratio + 0.2                 # popular products are displayed more: naive ratio inflated
    lo, hi = lift.absolute_ci()
    assert lo < effect < hi
    lo, hi = lift.ratio_ci()
    assert lo < true_ratio < hi
    assert hi - lo < 0.3
