"""Bundles: mined complementary item sets (2-3 items, high lift) sold at a discount, and the
``bundle`` recommender that answers a cart with the bundle that completes it (docs/tactics.md)."""

from cs_lab.models.bundle.mine import Bundles, mine_bundles
from cs_lab.models.bundle.model import BundleConfig, BundleRecommender
from cs_lab.models.bundle.offers import BundleOffers
from cs_lab.models.bundle.pricing import BundlePrices, margin_ok, price_bundles

__all__ = ["BundleConfig", "BundleOffers", "BundlePrices", "BundleRecommender", "Bundles", "margin_ok",
           "mine_bundles", "price_bundles"]
