"""The bundle recommender passes the Recommender contract (with and without the popularity fill)."""

from cs_lab.models.bundle import BundleRecommender
from cs_lab.testing.contract import RecommenderContract


class TestBundleContract(RecommenderContract):
    full_list_for_empty_cart = True

    def make_model(self, seed):
        return BundleRecommender(min_support=0.005, min_lift=1.0, seed=seed)


class TestBundleNoFallbackContract(RecommenderContract):
    # bundles only: an empty cart overlaps no bundle, so it gets nothing
    def make_model(self, seed):
        return BundleRecommender(min_support=0.005, min_lift=1.0, fallback="none", price_cap=None, seed=seed)


class TestBundlePopularityContract(RecommenderContract):
    full_list_for_empty_cart = True

    def make_model(self, seed):
        return BundleRecommender(min_support=0.01, min_lift=1.2, max_size=2, fallback="popularity", seed=seed)
