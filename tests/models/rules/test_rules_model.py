"""RulesRecommender: the model contract, planted pairs, aggregation against brute force, fallback."""

import numpy as np
import pytest

from cs_lab.data.queries import Queries
from cs_lab.errors import ConfigError
from cs_lab.models import registry
from cs_lab.models.rules import RulesRecommender, association_rules, fpgrowth
from cs_lab.testing.contract import RecommenderContract
from cs_lab.testing.data import contract_data

# the contract's synthetic train set: 1,201 baskets, 80 items; 0.002 = 3 baskets
MIN_SUPPORT = 0.002


class TestRulesContract(RecommenderContract):
    def make_model(self, seed):
        return RulesRecommender(min_support=MIN_SUPPORT, min_confidence=0.1, seed=seed)


class TestRulesFallbackContract(RecommenderContract):
    full_list_for_empty_cart = True

    def make_model(self, seed):
        return RulesRecommender(min_support=0.01, min_confidence=0.2, max_len=2, aggregate="weighted_sum",
                                fallback="popularity", seed=seed)


@pytest.fixture(scope="module")
def data():
    return contract_data(0)


def test_recovers_planted_pairs(data):
    """Every planted pair a -> b seen in >= 3 training baskets becomes a rule, and a cart
    holding only a gets b among its first 3 recommendations."""
    m = RulesRecommender(min_support=MIN_SUPPORT, min_confidence=0.1).fit(data.train)
    rules = m.rules_frame()
    found = {(a[0], c) for a, c in zip(rules.antecedent, rules.consequent) if len(a) == 1}
    x = data.train.basket_items.tocsc()
    idx = data.train.items.index
    seen = [(a, b) for a, b in data.synthetic.pairs
            if x[:, idx([a])[0]].multiply(x[:, idx([b])[0]]).nnz >= 3]
    assert len(seen) >= 12
    assert set(seen) <= found
    q = Queries.from_lists([idx([a]).tolist() for a, _ in seen], data.train.n_items)
    ids, _ = m.recommend(q, 3)
    hits = [idx([b])[0] in row for (_, b), row in zip(seen, ids)]
    assert sum(hits) >= len(seen) - 1


@pytest.mark.parametrize("aggregate", ["max_confidence", "max_lift", "weighted_sum", "sum_confidence"])
def test_scores_equal_brute_force(data, aggregate):
    """Each score is the aggregate of the rules whose whole antecedent is in the cart."""
    m = RulesRecommender(min_support=MIN_SUPPORT, min_confidence=0.05, aggregate=aggregate).fit(data.train)
    sets = fpgrowth(data.train.basket_items, MIN_SUPPORT, 3)
    rules = association_rules(sets, 0.05, "single")
    ante = [set(sets.itemset(a).tolist()) for a in rules.antecedent]
    cons = sets.items[sets.indptr[rules.consequent]]
    value = {"max_lift": rules.lift, "weighted_sum": rules.confidence * rules.lift}.get(aggregate, rules.confidence)
    reduce = max if aggregate.startswith("max") else sum
    scores = m._score(data.queries)
    n_fired = 0
    for row, cart in enumerate(data.queries.cart_lists()):
        cart = set(cart.tolist())
        expected = np.full(data.train.n_items, -np.inf)
        fired = [r for r in range(len(rules)) if ante[r] <= cart]
        n_fired += len(fired)
        for item in {int(cons[r]) for r in fired}:
            expected[item] = reduce(value[r] for r in fired if cons[r] == item)
        np.testing.assert_allclose(scores[row], expected, rtol=1e-12)
    assert n_fired > 50


def test_multi_item_antecedents_fire(data):
    m = RulesRecommender(min_support=MIN_SUPPORT, min_confidence=0.05).fit(data.train)
    sizes = np.diff(m.antecedents_.indptr)
    assert (sizes == 2).any() and (sizes == 1).any()
    two = np.flatnonzero(sizes == 2)[0]
    cart = m.antecedents_.indices[m.antecedents_.indptr[two]:m.antecedents_.indptr[two + 1]]
    rows, cols, _ = m._fired(Queries.from_lists([cart.tolist(), cart[:1].tolist()], m.n_items).carts)
    targets = set(m.rule_item_[m.rule_ptr_[two]:m.rule_ptr_[two + 1]].tolist())
    assert targets <= set(cols[rows == 0].tolist())


def test_no_firing_rule_means_no_candidate_unless_fallback(data):
    empty = Queries.from_lists([[]], data.train.n_items)
    strict = RulesRecommender(min_support=MIN_SUPPORT).fit(data.train)
    ids, scores = strict.recommend(empty, 5)
    assert (ids == -1).all() and np.isnan(scores).all()
    loose = RulesRecommender(min_support=MIN_SUPPORT, fallback="popularity").fit(data.train)
    ids, scores = loose.recommend(empty, 5)
    pop = data.train.item_popularity()
    np.testing.assert_array_equal(ids[0], np.argsort(-pop, kind="stable")[:5])
    assert (scores <= 0).all()
    # rule-backed items come before every fallback item
    cart = Queries.from_lists([[int(strict.rule_item_[0])]], data.train.n_items)
    n_rule = int((strict.recommend(cart, data.train.n_items)[0] >= 0).sum())
    s = loose.recommend(cart, data.train.n_items)[1][0]
    assert (s[:n_rule] > 0).all() and (s[n_rule:][~np.isnan(s[n_rule:])] <= 0).all()


def test_min_lift_filters_rules(data):
    all_rules = RulesRecommender(min_support=MIN_SUPPORT, min_confidence=0.0).fit(data.train)
    positive = RulesRecommender(min_support=MIN_SUPPORT, min_confidence=0.0, min_lift=1.0).fit(data.train)
    assert positive.n_rules < all_rules.n_rules
    assert (positive.rule_lift_ >= 1.0).all() and (all_rules.rule_lift_ < 1.0).any()


def test_registry_and_params():
    m = registry.build({"model": "rules", "min_support": 0.01, "aggregate": "max_lift"})
    assert isinstance(m, RulesRecommender)
    assert m.get_params() == {"model": "rules", "seed": 0, "min_support": 0.01, "min_confidence": 0.05,
                              "min_lift": 0.0, "max_len": 3, "aggregate": "max_lift", "fallback": "none",
                              "engine": "local", "spark": None}


@pytest.mark.parametrize("params,key", [
    ({"min_support": 0.0}, "min_support"), ({"min_support": 1.2}, "min_support"),
    ({"min_confidence": 2.0}, "min_confidence"), ({"max_len": 1}, "max_len"),
    ({"aggregate": "mean"}, "aggregate"), ({"fallback": "random"}, "fallback"),
])
def test_bad_config(params, key):
    with pytest.raises(ConfigError, match=key):
        RulesRecommender(**params)
