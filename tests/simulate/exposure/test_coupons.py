import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.proportion import proportion_confint

from cs_lab.errors import DataError
from cs_lab.simulate.exposure.coupons import household_campaigns, per_campaign, uptake, wilson

WINDOW = (pd.Timestamp("2017-01-01"), pd.Timestamp("2017-12-31"))


def _tables():
    desc = pd.DataFrame({"campaign_id": [1, 2, 3], "campaign_type": ["Type A", "Type B", "Type C"],
                         "start_date": pd.to_datetime(["2017-02-01", "2017-03-01", "2016-12-01"]),
                         "end_date": pd.to_datetime(["2017-03-01", "2017-04-01", "2017-01-31"])})
    coupons = pd.DataFrame({"coupon_upc": list(range(100, 120)) + [200, 200, 201, 202, 300, 301],
                            "product_id": list(range(20)) + [1, 2, 3, 4, 5, 6],
                            "campaign_id": [1] * 20 + [2, 2, 2, 2, 3, 3]})
    campaigns = pd.DataFrame({"household_id": [1, 2, 1, 3, 3], "campaign_id": [1, 1, 2, 2, 3]})
    red = pd.DataFrame({"household_id": [1, 1, 1, 1, 3, 3, 3], "coupon_upc": [100, 100, 101, 200, 200, 201, 300],
                        "campaign_id": [1, 1, 1, 2, 2, 2, 3]})
    return campaigns, desc, coupons, red


def test_distributed_and_redeemed_per_household_campaign():
    hc = household_campaigns(*_tables(), window=WINDOW).set_index(["household_id", "campaign_id"])
    # Type A: 16 of the pool of 20; Type B/C: every distinct coupon (upc 200 covers two products: one coupon)
    assert hc.loc[(1, 1), ["distributed", "redeemed"]].tolist() == [16, 2]   # upc 100 redeemed twice: once
    assert hc.loc[(2, 1), ["distributed", "redeemed"]].tolist() == [16, 0]
    assert hc.loc[(1, 2), ["distributed", "redeemed"]].tolist() == [3, 1]
    assert hc.loc[(3, 2), ["distributed", "redeemed"]].tolist() == [3, 2]
    assert hc.loc[(3, 3), ["distributed", "redeemed"]].tolist() == [2, 1]
    assert hc["censored"].tolist() == [False, False, False, False, True]   # campaign 3 starts before the data


def test_pooled_uptake_and_household_clustered_se_by_hand():
    hc = household_campaigns(*_tables(), window=WINDOW)
    u = uptake(hc[~hc["censored"]], "all")
    p = 5 / 38
    assert (u.redeemed, u.distributed, u.households, u.campaigns) == (5, 38, 3, 2)
    assert u.rate == pytest.approx(p)
    resid = np.array([3 - 19 * p, -16 * p, 2 - 3 * p])    # households 1, 2, 3
    assert u.se == pytest.approx(np.sqrt(1.5 * (resid ** 2).sum() / 38 ** 2))
    a = uptake(hc[hc["campaign_type"] == "Type A"], "A")
    assert (a.rate, a.se) == (pytest.approx(2 / 32), pytest.approx(0.0625))


def test_type_a_capped_at_pool_and_per_campaign_table():
    hc = household_campaigns(*_tables(), window=WINDOW, type_a_coupons=25)
    assert hc.loc[hc["campaign_id"] == 1, "distributed"].tolist() == [20, 20]
    t = per_campaign(hc)
    assert t["campaign_id"].tolist() == [1, 2, 3]
    row = t.iloc[1]
    assert (row["distributed"], row["redeemed"]) == (6, 3)
    assert (row["wilson_low"], row["wilson_high"]) == pytest.approx(proportion_confint(3, 6, method="wilson"))


def test_wilson_matches_statsmodels():
    for k, n in ((0, 10), (3, 17), (40, 40), (372, 17216)):
        assert wilson(k, n) == pytest.approx(proportion_confint(k, n, method="wilson"), abs=1e-12)


def test_bad_tables_named():
    campaigns, desc, coupons, red = _tables()
    with pytest.raises(DataError, match="household 2 redeemed in campaign 2 it did not receive"):
        household_campaigns(campaigns, desc, coupons, pd.concat([red, pd.DataFrame(
            {"household_id": [2], "coupon_upc": [200], "campaign_id": [2]})]))
    with pytest.raises(DataError, match="unknown campaign_type"):
        household_campaigns(campaigns, desc.assign(campaign_type="Type D"), coupons, red)
    with pytest.raises(DataError, match="campaign 3 was received by households but has no coupon"):
        household_campaigns(campaigns, desc, coupons[coupons["campaign_id"] != 3], red)
    with pytest.raises(DataError, match="lacks column"):
        household_campaigns(campaigns.rename(columns={"household_id": "hh"}), desc, coupons, red)
