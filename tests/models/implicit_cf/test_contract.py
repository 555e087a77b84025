"""Every implicit-based model, in its main variants, passes the Recommender contract."""

from cs_lab.models.implicit_cf import ALS, BPR, LMF, ItemKNN
from cs_lab.testing.contract import RecommenderContract


class TestALSContract(RecommenderContract):
    full_list_for_empty_cart = True

    def make_model(self, seed):
        return ALS(factors=8, iterations=3, num_threads=1, seed=seed)


class TestALSBasketsCustomerContract(RecommenderContract):
    full_list_for_empty_cart = True

    def make_model(self, seed):
        return ALS(factors=8, iterations=3, num_threads=1, seed=seed, train_on="baskets", use_customer=True,
                   confidence="log", alpha=2.0)


class TestALSNoFallbackContract(RecommenderContract):
    def make_model(self, seed):
        return ALS(factors=8, iterations=3, num_threads=1, seed=seed, use_customer=True, fallback="none")


class TestBPRContract(RecommenderContract):
    full_list_for_empty_cart = True

    def make_model(self, seed):
        return BPR(factors=8, iterations=10, num_threads=1, seed=seed)


class TestBPRCustomerContract(RecommenderContract):
    full_list_for_empty_cart = True

    def make_model(self, seed):
        return BPR(factors=8, iterations=10, num_threads=1, seed=seed, train_on="baskets", use_customer=True)


class TestLMFContract(RecommenderContract):
    full_list_for_empty_cart = True

    def make_model(self, seed):
        return LMF(factors=8, iterations=5, num_threads=1, seed=seed, use_customer=True)


class TestItemKNNCosineContract(RecommenderContract):
    full_list_for_empty_cart = True

    def make_model(self, seed):
        return ItemKNN(weighting="cosine", neighbours=10, num_threads=1, seed=seed)


class TestItemKNNBM25Contract(RecommenderContract):
    full_list_for_empty_cart = True

    def make_model(self, seed):
        return ItemKNN(weighting="bm25", neighbours=10, bm25_k1=1.5, bm25_b=0.5, num_threads=1, seed=seed,
                       train_on="baskets")


class TestItemKNNTFIDFContract(RecommenderContract):
    def make_model(self, seed):
        return ItemKNN(weighting="tfidf", neighbours=10, num_threads=1, seed=seed, fallback="none")
