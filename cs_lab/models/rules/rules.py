"""Association rules from frequent itemsets: A -> C with support, confidence, lift and more.

    rules = association_rules(sets, min_confidence=0.2, consequents="single")
    rules.to_frame(labels=train.items.ids).sort_values("lift", ascending=False)

Two forms:
  single   one item as consequent: A = S - {c} for every frequent S and c in S (R arules'
           apriori(); what a recommender uses: "carts holding A also buy c")
  all      every non-empty proper subset A of S as antecedent, C = S - A (mlxtend's
           association_rules)
A rule is kept when confidence >= min_confidence. Antecedent, consequent and whole rule are
ids into the FrequentItemsets table (every subset of a frequent set is frequent), so no rule
copies its items. Metrics are computed on demand, vectorised, with mlxtend's definitions.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Sequence

import numpy as np
import pandas as pd

from cs_lab.errors import ConfigError
from cs_lab.models.rules._numba import require_numba
from cs_lab.models.rules._prepare import check_confidence, check_max_len, check_support
from cs_lab.models.rules.itemsets import FrequentItemsets, _frozensets

Consequents = Literal["single", "all"]

METRICS = ("antecedent support", "consequent support", "support", "confidence", "lift",
           "representativity", "leverage", "conviction", "zhangs_metric", "jaccard", "certainty",
           "kulczynski")
"""Metric columns of ``AssociationRules.to_frame``, named and ordered as in mlxtend 0.25."""

MAX_ALL_CONSEQUENT_SIZE = 30
"""Largest itemset whose 2^k - 2 splits ``consequents='all'`` enumerates."""


@dataclass(frozen=True, eq=False)
class AssociationRules:
    """Rules antecedent -> consequent over a FrequentItemsets table.

    antecedent, consequent, itemset   (n_rules,) int64 set ids into ``itemsets``
    """

    itemsets: FrequentItemsets
    antecedent: np.ndarray
    consequent: np.ndarray
    itemset: np.ndarray
    min_confidence: float
    consequents: Consequents

    def __len__(self) -> int:
        return len(self.itemset)

    # counts and supports -----------------------------------------------------------------
    @property
    def count(self) -> np.ndarray:
        """Baskets holding antecedent and consequent."""
        return self.itemsets.counts[self.itemset]

    @property
    def antecedent_count(self) -> np.ndarray:
        return self.itemsets.counts[self.antecedent]

    @property
    def consequent_count(self) -> np.ndarray:
        return self.itemsets.counts[self.consequent]

    def _frac(self, counts: np.ndarray) -> np.ndarray:
        return counts / float(self.itemsets.n_baskets)

    @property
    def support(self) -> np.ndarray:
        return self._frac(self.count)

    @property
    def antecedent_support(self) -> np.ndarray:
        return self._frac(self.antecedent_count)

    @property
    def consequent_support(self) -> np.ndarray:
        return self._frac(self.consequent_count)

    # metrics (mlxtend's definitions) ------------------------------------------------------
    @property
    def confidence(self) -> np.ndarray:
        """P(C | A) = count(A u C) / count(A)."""
        return self.count / self.antecedent_count

    @property
    def lift(self) -> np.ndarray:
        """confidence / support(C)."""
        return self.confidence / self.consequent_support

    @property
    def leverage(self) -> np.ndarray:
        """support(A u C) - support(A) support(C)."""
        return self.support - self.antecedent_support * self.consequent_support

    @property
    def conviction(self) -> np.ndarray:
        """(1 - support(C)) / (1 - confidence); inf when confidence == 1."""
        conf = self.confidence
        out = np.full(len(conf), np.inf)
        lt = conf < 1.0
        out[lt] = (1.0 - self.consequent_support[lt]) / (1.0 - conf[lt])
        return out

    @property
    def zhangs_metric(self) -> np.ndarray:
        """leverage / max(s(AC)(1 - s(A)), s(A)(s(C) - s(AC))); 0 when that is 0."""
        s_ac, s_a, s_c = self.support, self.antecedent_support, self.consequent_support
        den = np.maximum(s_ac * (1 - s_a), s_a * (s_c - s_ac))
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(den == 0, 0.0, self.leverage / den)

    @property
    def jaccard(self) -> np.ndarray:
        """s(AC) / (s(A) + s(C) - s(AC))."""
        s_ac = self.support
        return s_ac / (self.antecedent_support + self.consequent_support - s_ac)

    @property
    def certainty(self) -> np.ndarray:
        """(confidence - s(C)) / (1 - s(C)); 0 when s(C) == 1."""
        s_c = self.consequent_support
        den = 1 - s_c
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(den == 0, 0.0, (self.confidence - s_c) / den)

    @property
    def kulczynski(self) -> np.ndarray:
        """(P(C | A) + P(A | C)) / 2."""
        return (self.confidence + self.count / self.consequent_count) / 2

    @property
    def representativity(self) -> np.ndarray:
        """Share of baskets without missing values: always 1 here (mlxtend's null_values)."""
        return np.ones(len(self))

    def metric(self, name: str) -> np.ndarray:
        """A metric by its mlxtend column name (see METRICS)."""
        if name not in METRICS:
            raise ConfigError(f"unknown rule metric {name!r}; one of {list(METRICS)}")
        return getattr(self, name.replace(" ", "_"))

    # views ----------------------------------------------------------------------------------
    def top(self, n: int, by: str = "lift") -> np.ndarray:
        """Indices of the ``n`` best rules by metric ``by`` (ties: higher support, then order)."""
        value = self.metric(by)
        order = np.lexsort((np.arange(len(self)), -self.support, -value))
        return order[:n]

    def to_frame(self, labels: Sequence | np.ndarray | None = None,
                 metrics: Sequence[str] = METRICS, counts: bool = False) -> pd.DataFrame:
        """mlxtend-style frame: antecedents, consequents (frozensets of item indices, or of
        ``labels[item]``) and the ``metrics`` columns (+ count columns when ``counts``)."""
        s = self.itemsets
        lab = None if labels is None else np.asarray(labels, dtype=object)
        sets = _frozensets(s.items, s.indptr, lab)
        out = pd.DataFrame({"antecedents": [sets[i] for i in self.antecedent.tolist()],
                            "consequents": [sets[i] for i in self.consequent.tolist()]})
        for m in metrics:
            out[m] = self.metric(m)
        if counts:
            out["antecedent count"] = self.antecedent_count
            out["consequent count"] = self.consequent_count
            out["count"] = self.count
        return out


def association_rules(itemsets: FrequentItemsets, min_confidence: float = 0.0,
                      consequents: Consequents = "single") -> AssociationRules:
    """Rules of ``itemsets`` with confidence >= ``min_confidence`` (see module docstring)."""
    check_confidence(min_confidence)
    if consequents not in ("single", "all"):
        raise ConfigError(f"consequents must be 'single' or 'all', got {consequents!r}")
    if consequents == "all" and itemsets.max_size > MAX_ALL_CONSEQUENT_SIZE:
        raise ConfigError(f"an itemset of {itemsets.max_size} items has 2^{itemsets.max_size} splits: "
                          f"mine with max_len <= {MAX_ALL_CONSEQUENT_SIZE} for consequents='all'")
    require_numba()
    from cs_lab.models.rules._tables import rules_kernel

    ante, cons, full = rules_kernel(itemsets.items, itemsets.indptr, itemsets.counts,
                                    itemsets.bounds, float(min_confidence), consequents == "single")
    return AssociationRules(itemsets=itemsets, antecedent=ante, consequent=cons, itemset=full,
                            min_confidence=float(min_confidence), consequents=consequents)


def mine_rules(basket_items, min_support: float, min_confidence: float = 0.0,
               max_len: int | None = None, consequents: Consequents = "single",
               algorithm: Literal["fpgrowth", "apriori"] = "fpgrowth") -> AssociationRules:
    """Frequent itemsets (``algorithm``) and then their rules, in one call."""
    from cs_lab.models.rules.mining import frequent_itemsets

    check_support(min_support)
    check_max_len(max_len)
    check_confidence(min_confidence)
    return association_rules(frequent_itemsets(basket_items, min_support, max_len, algorithm),
                             min_confidence, consequents)
