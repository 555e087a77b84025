"""Association rules: frequent itemsets (FP-Growth, Apriori), rules and a rules recommender.

    from cs_lab.models.rules import fpgrowth, association_rules, RulesRecommender
    sets = fpgrowth(train.basket_items, min_support=0.001, max_len=3)
    rules = association_rules(sets, min_confidence=0.1, consequents="single")
    model = RulesRecommender(min_support=0.001, min_confidence=0.1).fit(train)

Mining runs in numba kernels over the sparse basket x item matrix (never densified); see
docs/rules.md for the definitions, the two rule forms and the aggregation modes.
"""

from cs_lab.models.rules.itemsets import FrequentItemsets
from cs_lab.models.rules.mining import apriori, fpgrowth, frequent_itemsets
from cs_lab.models.rules.model import RulesConfig, RulesRecommender
from cs_lab.models.rules.rules import METRICS, AssociationRules, association_rules, mine_rules

__all__ = ["METRICS", "AssociationRules", "FrequentItemsets", "RulesConfig", "RulesRecommender",
           "apriori", "association_rules", "fpgrowth", "frequent_itemsets", "mine_rules"]
