import numpy as np

from cs_lab.models.baselines import Popularity
from cs_lab.testing.contract import RecommenderContract
from cs_lab.testing.data import contract_data


class TestPopularityContract(RecommenderContract):
    full_list_for_empty_cart = True

    def make_model(self, seed):
        return Popularity(seed=seed)


def test_popularity_ranks_by_basket_count():
    data = contract_data(0)
    m = Popularity().fit(data.train)
    ids, _ = m.recommend(data.queries, 5)
    pop = data.train.item_popularity()
    empty = list(data.queries.ids).index("empty")
    np.testing.assert_array_equal(ids[empty], np.argsort(-pop, kind="stable")[:5])
