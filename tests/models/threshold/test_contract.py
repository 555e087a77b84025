"""The threshold re-ranker passes the shipped Recommender contract, over two base models."""

from cs_lab.models.threshold import Threshold
from cs_lab.testing.contract import RecommenderContract


class TestThresholdContract(RecommenderContract):
    full_list_for_empty_cart = True

    def make_model(self, seed):
        # the synthetic carts are worth a few units; T = 40 puts most of them below it
        return Threshold(base={"model": "popularity"}, threshold={"value": 40.0}, seed=seed)


class TestThresholdOverItemKnnContract(RecommenderContract):
    full_list_for_empty_cart = True   # item_knn itself scores every item for an empty cart

    def make_model(self, seed):
        return Threshold(base={"model": "item_knn", "train_on": "baskets"},
                         threshold={"value": 25.0, "benefit": "tier_discount", "amount": 0.05}, candidates=5,
                         weight=0.8, seed=seed)
