"""TIFU-KNN, UP-CF@r and the repeat/explore mixture pass the Recommender contract, in their main variants."""

from cs_lab.models.basket import TIFUKNN, UPCF, RepeatExplore
from cs_lab.testing.contract import RecommenderContract


class TestTIFUKNNContract(RecommenderContract):
    full_list_for_empty_cart = True

    def make_model(self, seed):
        return TIFUKNN(neighbours=10, group_size=3, seed=seed)


class TestTIFUKNNEuclideanContract(RecommenderContract):
    full_list_for_empty_cart = True

    def make_model(self, seed):
        return TIFUKNN(neighbours=5, group_size=2, metric="euclidean", seed=seed)


class TestTIFUKNNNoFallbackContract(RecommenderContract):
    # an empty cart with no customer: no vector, no neighbours, nothing to recommend
    def make_model(self, seed):
        return TIFUKNN(neighbours=10, fallback="none", seed=seed)


class TestUPCFContract(RecommenderContract):
    full_list_for_empty_cart = True

    def make_model(self, seed):
        return UPCF(recency=3, neighbours=20, seed=seed)


class TestUPCFAllNeighboursContract(RecommenderContract):
    full_list_for_empty_cart = True

    def make_model(self, seed):
        return UPCF(recency=0, neighbours=0, alpha=0.5, locality=1.0, seed=seed)


class TestUPCFNoFallbackContract(RecommenderContract):
    def make_model(self, seed):
        return UPCF(fallback="none", seed=seed)


class TestRepeatExploreInterleaveContract(RecommenderContract):
    full_list_for_empty_cart = True

    def make_model(self, seed):
        return RepeatExplore(neighbours=10, seed=seed)


class TestRepeatExploreScoreContract(RecommenderContract):
    full_list_for_empty_cart = True

    def make_model(self, seed):
        return RepeatExplore(mix="score", repeat_share=0.3, weighting="cosine", neighbours=10, seed=seed)
