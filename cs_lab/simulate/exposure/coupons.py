"""Uptake of targeted coupons: the share of coupons handed to households that were redeemed.

Table semantics (dunnhumby's user guide of The Complete Journey):
- ``campaigns``: which households received which campaign (one row per household x campaign);
- ``coupons``: the coupons of each campaign (one row per coupon_upc x product it is redeemable on);
  for Type B and C campaigns every receiving household got every coupon of the campaign; for Type A
  the table is a pool from which each household got 16 coupons chosen from its purchase history
  (which 16 is not in the data);
- ``coupon_redemptions``: the coupons each household redeemed (household, coupon_upc, campaign, day).

Uptake = sum over (household, campaign) of distinct coupons redeemed / sum of coupons distributed,
where a household in a Type B/C campaign got the campaign's number of distinct coupon_upc and one in a
Type A campaign got ``TYPE_A_COUPONS`` (16; capped at the pool size). A coupon redeemed twice counts
once. The interval is cluster-robust by household (a household's coupons, and its campaigns, are not
independent): ``var = G/(G-1) sum_h (r_h - p m_h)^2 / (sum m)^2``. Wilson intervals (independent
coupons) are reported per campaign for comparison; they are too narrow when redemptions cluster.
Campaigns running partly outside the redemptions' observed dates are marked ``censored``: their
redemptions outside the window are unseen, so they are left out of the pooled estimates by default.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from cs_lab.errors import DataError

TYPE_A_COUPONS = 16


@dataclass(frozen=True)
class Uptake:
    label: str
    redeemed: int         # distinct (household, campaign, coupon) redeemed
    distributed: int      # (household, campaign, coupon) handed out
    households: int       # clusters
    campaigns: int
    rate: float
    se: float             # household-clustered (CR1)

    def ci(self, alpha: float = 0.05) -> tuple[float, float]:
        z = stats.norm.ppf(1 - alpha / 2)
        return max(0.0, self.rate - z * self.se), min(1.0, self.rate + z * self.se)


def wilson(k: int, n: int, alpha: float = 0.05) -> tuple[float, float]:
    """Wilson score interval of k successes in n independent trials."""
    if n <= 0:
        return 0.0, 1.0
    z = stats.norm.ppf(1 - alpha / 2)
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return float(centre - half), float(centre + half)


def _require(df: pd.DataFrame, cols: list[str], what: str) -> None:
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise DataError(f"{what} lacks column(s) {missing}; expected {cols}")


def household_campaigns(campaigns: pd.DataFrame, descriptions: pd.DataFrame, coupons: pd.DataFrame,
                        redemptions: pd.DataFrame, window: tuple[pd.Timestamp, pd.Timestamp] | None = None,
                        type_a_coupons: int = TYPE_A_COUPONS) -> pd.DataFrame:
    """One row per (household, campaign) received: campaign_type, distributed, redeemed, censored."""
    _require(campaigns, ["campaign_id", "household_id"], "campaigns")
    _require(descriptions, ["campaign_id", "campaign_type", "start_date", "end_date"], "campaign_descriptions")
    _require(coupons, ["coupon_upc", "campaign_id"], "coupons")
    _require(redemptions, ["household_id", "coupon_upc", "campaign_id"], "coupon_redemptions")
    unknown_types = set(descriptions["campaign_type"]) - {"Type A", "Type B", "Type C"}
    if unknown_types:
        raise DataError(f"campaign_descriptions: unknown campaign_type {sorted(unknown_types)}; "
                        "expected 'Type A', 'Type B', 'Type C'")
    desc = descriptions.set_index("campaign_id")
    pool = coupons.groupby("campaign_id")["coupon_upc"].nunique().rename("pool")
    hc = campaigns[["household_id", "campaign_id"]].drop_duplicates()
    missing = set(hc["campaign_id"]) - set(desc.index)
    if missing:
        raise DataError(f"campaigns: campaign_id {sorted(missing)[:5]} not in campaign_descriptions")
    hc = hc.join(desc[["campaign_type", "start_date", "end_date"]], on="campaign_id").join(pool, on="campaign_id")
    if hc["pool"].isna().any():
        bad = hc.loc[hc["pool"].isna(), "campaign_id"].iloc[0]
        raise DataError(f"coupons: campaign {bad} was received by households but has no coupon")
    is_a = hc["campaign_type"].eq("Type A")
    hc["distributed"] = np.where(is_a, np.minimum(type_a_coupons, hc["pool"]), hc["pool"]).astype(np.int64)
    red = redemptions[["household_id", "campaign_id", "coupon_upc"]].drop_duplicates()
    known = red.merge(hc[["household_id", "campaign_id"]], how="left", indicator=True)
    if (known["_merge"] == "left_only").any():
        row = known.loc[known["_merge"] == "left_only"].iloc[0]
        raise DataError(f"coupon_redemptions: household {row['household_id']} redeemed in campaign "
                        f"{row['campaign_id']} it did not receive (campaigns table)")
    counts = red.groupby(["household_id", "campaign_id"]).size().rename("redeemed")
    hc = hc.join(counts, on=["household_id", "campaign_id"])
    hc["redeemed"] = hc["redeemed"].fillna(0).astype(np.int64)
    over = hc["redeemed"] > hc["distributed"]
    if over.any():
        row = hc.loc[over].iloc[0]
        raise DataError(f"household {row['household_id']} redeemed {row['redeemed']} coupons of campaign "
                        f"{row['campaign_id']}, more than the {row['distributed']} it received")
    if window is None:
        hc["censored"] = False
    else:
        hc["censored"] = (hc["start_date"] < window[0]) | (hc["end_date"] > window[1])
    return hc.reset_index(drop=True)


def uptake(hc: pd.DataFrame, label: str) -> Uptake:
    """Pooled uptake over the rows of ``household_campaigns`` given, clustered by household."""
    if hc.empty:
        raise DataError(f"uptake {label!r}: no (household, campaign) row")
    m = hc["distributed"].to_numpy(dtype=np.float64)
    r = hc["redeemed"].to_numpy(dtype=np.float64)
    p = r.sum() / m.sum()
    resid = pd.Series(r - p * m).groupby(hc["household_id"].to_numpy()).sum().to_numpy()
    g = len(resid)
    var = (g / (g - 1)) * float((resid ** 2).sum()) / m.sum() ** 2 if g > 1 else float("nan")
    return Uptake(label=label, redeemed=int(r.sum()), distributed=int(m.sum()), households=g,
                  campaigns=int(hc["campaign_id"].nunique()), rate=float(p), se=float(np.sqrt(var)))


def per_campaign(hc: pd.DataFrame) -> pd.DataFrame:
    """Per campaign: type, dates, households, distributed, redeemed, uptake, clustered and Wilson CIs."""
    rows = []
    for cid, g in hc.groupby("campaign_id", sort=True):
        u = uptake(g, f"campaign {cid}")
        lo, hi = u.ci()
        wl, wh = wilson(u.redeemed, u.distributed)
        rows.append({"campaign_id": int(cid), "type": g["campaign_type"].iloc[0],
                     "start": g["start_date"].iloc[0].date(), "end": g["end_date"].iloc[0].date(),
                     "censored": bool(g["censored"].iloc[0]), "households": u.households,
                     "distributed": u.distributed, "redeemed": u.redeemed, "uptake": u.rate,
                     "ci_low": lo, "ci_high": hi, "wilson_low": wl, "wilson_high": wh})
    return pd.DataFrame(rows)
