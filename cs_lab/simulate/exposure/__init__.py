"""Exposure effects and coupon uptake measured from The Complete Journey's real offers.

- ``fixed_effects``: weighted OLS with absorbed fixed effects (alternating projections), CR1 SEs.
- ``lift``: absolute and relative lift with a delta-method SE.
- ``panel`` / ``display``: the (product, store, week) panel and the display / mailer effects.
- ``coupons``: the share of distributed targeted coupons that were redeemed.
- ``estimate``: everything above as ``Prior`` objects (``cs-lab priors estimate complete_journey``).
"""
