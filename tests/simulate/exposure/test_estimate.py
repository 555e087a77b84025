import numpy as np
import pytest

from cs_lab.simulate.exposure.coupons import Uptake
from cs_lab.simulate.exposure.estimate import CJEstimateConfig, _ratio_prior, _uptake_prior, exposure_limits
from cs_lab.simulate.exposure.lift import Lift


class _D:  # the fields of DisplayEffects the prior builders read
    n_cells = 1000
    time_effects = "store_week+product_week"


def test_ratio_prior_is_lognormal_with_the_lift_interval():
    lift = Lift(name="display_only", absolute=2e-4, absolute_se=1e-5, treated_mean=8e-4, baseline=6e-4,
                ratio=4 / 3, ratio_se=0.03, n_treated=50, n_clusters=40)
    p = _ratio_prior("exposure.display_lift", lift, "on display", _D(), "test")
    assert p.distribution == "lognormal" and p.value == pytest.approx(4 / 3) and p.n == 1000
    assert (p.ci_low, p.ci_high) == pytest.approx(lift.ratio_ci())
    draws = p.draw(np.random.default_rng(0), 200_000)
    assert np.log(draws).std() == pytest.approx(0.03 / (4 / 3), rel=0.02)
    assert np.quantile(draws, [0.025, 0.975]) == pytest.approx([p.ci_low, p.ci_high], rel=0.01)
    assert "recommendation slot" in p.identifies and "season" in p.identifies


def test_uptake_prior_is_beta_and_its_interval_is_the_beta_quantiles():
    u = Uptake(label="all", redeemed=200, distributed=9000, households=800, campaigns=5, rate=200 / 9000, se=0.003)
    p = _uptake_prior("coupon.uptake", u, "all", False, 16)
    draws = p.draw(np.random.default_rng(1), 200_000)
    assert draws.mean() == pytest.approx(u.rate, rel=0.01) and draws.std() == pytest.approx(0.003, rel=0.02)
    assert np.quantile(draws, [0.025, 0.975]) == pytest.approx([p.ci_low, p.ci_high], rel=0.01)
    assert p.n == 9000 and "not incrementality" in p.identifies


def test_limits_text_follows_the_fixed_effects():
    assert "overstates" in exposure_limits("store_week")
    assert "overstates" not in exposure_limits("store_week+product_week")
    assert CJEstimateConfig().time_effects == "store_week+product_week"
    with pytest.raises(ValueError):
        CJEstimateConfig(n_store=3)
