import numpy as np
import pytest

from cs_lab.simulate.exposure.display import estimate_display_effects, estimate_lead_placebo
from cs_lab.simulate.exposure.panel import Panel


def _seasonal_panel(seed=0, n_products=120, n_stores=6, n_weeks=30, effect=0.03, anticipation=0.0):
    """Purchase probability = pair level + the product's chain-wide season + effect x display; products
    go on display in their season (the retailer's choice), mailer never."""
    rng = np.random.default_rng(seed)
    n_pairs = n_products * n_stores
    pair = np.repeat(np.arange(n_pairs), n_weeks)
    product = pair // n_stores
    store = pair % n_stores
    week = np.tile(np.arange(1, n_weeks + 1), n_pairs)
    level = rng.uniform(0.05, 0.15, n_pairs)
    season = rng.normal(0, 0.03, (n_products, n_weeks))
    s = season[product, week - 1]
    display = rng.random(len(pair)) < 1 / (1 + np.exp(-(-2.0 + 60 * s)))
    last = week == n_weeks
    display_next = np.append(display[1:], False) & ~last
    prob = level[pair] + s + effect * display + anticipation * display_next
    shoppers = np.full(len(pair), 400)
    buyers = rng.binomial(shoppers, np.clip(prob, 0, 1))
    return Panel(pair=pair.astype(np.int32), product=product.astype(np.int32),
                 store_week=(store * n_weeks + week - 1).astype(np.int32), week=week.astype(np.int16),
                 display=display, mailer=np.zeros(len(pair), bool), buyers=buyers.astype(np.int32),
                 shoppers=shoppers.astype(np.int32), stores=tuple(range(n_stores)), n_pairs=n_pairs,
                 display_next=display_next, mailer_next=np.zeros(len(pair), bool))


def test_product_week_effects_remove_seasonal_selection():
    p = _seasonal_panel()
    naive = estimate_display_effects(p, "store_week").lifts["display_only"]
    fixed = estimate_display_effects(p, "store_week+product_week").lifts["display_only"]
    assert set(estimate_display_effects(p, "week").lifts) == {"display_only"}   # no mailer cell: left out
    lo, hi = naive.absolute_ci()
    assert lo > 0.03 + 0.005              # displayed in season: store-week effects alone overstate
    lo, hi = fixed.absolute_ci()
    assert lo < 0.03 < hi
    assert fixed.absolute == pytest.approx(0.03, abs=0.005)


def test_lead_placebo_is_null_without_anticipation_and_finds_it_when_planted():
    clean = estimate_lead_placebo(_seasonal_panel(1), "store_week+product_week")
    b, se = clean.lead("display_only")
    assert abs(b) < 2.5 * se and se < 0.004
    assert clean.fit.coef("display_only") == pytest.approx(0.03, abs=0.005)
    planted = estimate_lead_placebo(_seasonal_panel(1, anticipation=0.02), "store_week+product_week")
    b, se = planted.lead("display_only")
    assert abs(b - 0.02) < 2.5 * se and b > 4 * se
