"""LightFM passes the Recommender contract with and without side features."""

from cs_lab.models.lightfm_cf import LightFMModel
from cs_lab.testing.contract import RecommenderContract


class TestLightFMWarpContract(RecommenderContract):
    full_list_for_empty_cart = True

    def make_model(self, seed):
        return LightFMModel(no_components=8, epochs=3, num_threads=1, seed=seed)


class TestLightFMFeaturesContract(RecommenderContract):
    full_list_for_empty_cart = True

    def make_model(self, seed):
        return LightFMModel(loss="bpr", no_components=8, epochs=3, num_threads=1, seed=seed, item_features=True,
                            user_features=True, use_customer=True, item_alpha=1e-6, user_alpha=1e-6)


class TestLightFMKosBasketsContract(RecommenderContract):
    full_list_for_empty_cart = True

    def make_model(self, seed):
        return LightFMModel(loss="warp-kos", no_components=8, epochs=2, num_threads=1, seed=seed,
                            train_on="baskets", use_customer=True)


class TestLightFMLogisticContract(RecommenderContract):
    full_list_for_empty_cart = True

    def make_model(self, seed):
        return LightFMModel(loss="logistic", no_components=8, epochs=2, num_threads=1, seed=seed,
                            item_features=True)
