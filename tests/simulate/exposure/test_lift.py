import numpy as np
import pytest

from cs_lab.errors import ConfigError
from cs_lab.simulate.exposure.fixed_effects import fe_ols
from cs_lab.simulate.exposure.lift import relative_lift
from tests.simulate.exposure._synthetic import make_panel


def _lift(p):
    fit = fe_ols(p.y, p.d[:, None], [p.pair, p.store_week], cluster=p.product, weights=p.w, names=["d"])
    return relative_lift(fit, "d", p.d > 0, p.y, p.product, p.w)


def test_ratio_is_treated_mean_over_counterfactual():
    p = make_panel(0, weighted=True)
    lift = _lift(p)
    t = p.d > 0
    mu = np.sum(p.w[t] * p.y[t]) / np.sum(p.w[t])
    assert lift.treated_mean == pytest.approx(mu)
    assert lift.baseline == pytest.approx(mu - lift.absolute)
    assert lift.ratio == pytest.approx(mu / (mu - lift.absolute))
    lo, hi = lift.ratio_ci()
    assert lo < lift.ratio < hi
    assert np.log(hi / lift.ratio) == pytest.approx(np.log(lift.ratio / lo))   # symmetric on the log scale


def test_delta_method_se_matches_spread_over_seeds():
    """The ratio's delta-method SE is about the sd of the ratio over independent panels, and its
    95% interval covers the population ratio about 95% of the time."""
    ratios, ses = [], []
    for seed in range(150):
        lift = _lift(make_panel(500 + seed, n_products=80, n_stores=4, n_weeks=10, product_shock_sd=0.08))
        ratios.append(lift.ratio)
        ses.append(lift.ratio_se)
    ratios, ses = np.array(ratios), np.array(ses)
    assert 0.8 < ses.mean() / ratios.std(ddof=1) < 1.25
    truth = np.median(ratios)   # the population ratio, up to O(1/n) bias
    cover = np.mean(np.abs(np.log(ratios / truth)) <= 1.96 * ses / ratios)
    assert 0.89 <= cover <= 0.995


def test_delta_method_se_matches_cluster_jackknife():
    """An independent check of the ratio's SE (including the covariance of beta and the treated mean):
    the delete-one-product jackknife, on a panel whose effect grows with the pair's level."""
    p = make_panel(3, n_products=60, product_shock_sd=0.08, effect_slope=1.0)

    def lift(mask):
        fit = fe_ols(p.y[mask], p.d[mask][:, None], [p.pair[mask], p.store_week[mask]], cluster=p.product[mask],
                     names=["d"])
        return relative_lift(fit, "d", p.d[mask] > 0, p.y[mask], p.product[mask])

    full = lift(np.ones(len(p.y), bool))
    products = np.unique(p.product)
    theta = np.array([lift(p.product != k).ratio for k in products])
    g = len(products)
    jackknife = np.sqrt((g - 1) / g * ((theta - theta.mean()) ** 2).sum())
    assert full.ratio_se == pytest.approx(jackknife, rel=0.1)


def test_errors():
    p = make_panel(1)
    fit = fe_ols(p.y, p.d[:, None], [p.pair, p.store_week], cluster=p.product, names=["d"])
    with pytest.raises(ConfigError, match="no treated rows"):
        relative_lift(fit, "d", np.zeros(len(p.d), bool), p.y, p.product)
    with pytest.raises(ConfigError, match="clusters here"):
        relative_lift(fit, "d", p.d > 0, p.y, p.pair)
