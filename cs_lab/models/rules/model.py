"""RulesRecommender: association rules A -> c fire when the cart holds A; firing rules vote for c.

    model = RulesRecommender(min_support=0.001, min_confidence=0.05, aggregate="max_confidence")
    model.fit(train)                          # FP-Growth + single-consequent rules
    ids, scores = model.recommend(queries, k=10)

Fitted state, all plain arrays (saved to npz):
  antecedents  CSR (n_antecedents, n_items): the distinct antecedents of the kept rules
  rule_ptr     rules of antecedent a are rule_ptr[a]:rule_ptr[a+1] (grouped by antecedent)
  rule_item, rule_confidence, rule_lift, rule_support   per rule
  item_support (n_items,) share of training baskets holding each item (for the fallback)

Scoring a batch of carts X (CSR, batch x n_items) is one sparse product: (X @ antecedents.T)
counts the antecedent items each cart holds, and an antecedent fires when that count equals
its size, which handles one-item and multi-item antecedents alike. The firing rules are then
expanded and reduced per (cart, consequent) with a sort and ufunc.reduceat (max or sum).
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd
import scipy.sparse as sp
from pydantic import Field

from cs_lab.data.interactions import Interactions
from cs_lab.data.queries import Queries
from cs_lab.models.base import Recommender, sparse_from_state, sparse_state
from cs_lab.models.config import ModelConfig
from cs_lab.models.registry import register
from cs_lab.models.rules.mining import fpgrowth
from cs_lab.models.rules.rules import association_rules
from cs_lab.spark.settings import EngineFields

Aggregate = Literal["max_confidence", "max_lift", "weighted_sum", "sum_confidence"]


class RulesConfig(EngineFields, ModelConfig):
    """Config of the association-rules recommender.

    min_support     itemsets held by at least this share of training baskets, in (0, 1]
    min_confidence  rules with P(consequent | antecedent) >= this, in [0, 1]
    min_lift        rules with lift >= this (1.0 keeps only positive associations)
    max_len         largest itemset mined: antecedents have at most max_len - 1 items
    aggregate       how the rules that fire for one consequent make its score:
                    max_confidence  the highest confidence among them
                    max_lift        the highest lift
                    weighted_sum    the sum of confidence x lift
                    sum_confidence  the sum of confidences
    fallback        "none": items no rule recommends are not candidates (lists may be short,
                    padded with -1); "popularity": they follow, ranked by training support
    engine          "local" (numba FP-Growth in this process) or "spark" (Spark ML's FP-Growth;
                    the same itemsets, see cs_lab/spark/fpgrowth.py); ``spark:`` its settings
    """

    model: Literal["rules"] = "rules"
    min_support: float = Field(0.001, gt=0.0, le=1.0)
    min_confidence: float = Field(0.05, ge=0.0, le=1.0)
    min_lift: float = Field(0.0, ge=0.0)
    max_len: int | None = Field(3, ge=2)
    aggregate: Aggregate = "max_confidence"
    fallback: Literal["none", "popularity"] = "none"


@register
class RulesRecommender(Recommender):
    """Recommends the consequents of the single-consequent rules whose antecedent is in the cart."""

    config_class = RulesConfig
    config: RulesConfig

    def _fit(self, train: Interactions) -> None:
        cfg = self.config
        sets = self._mine(train)
        rules = association_rules(sets, cfg.min_confidence, "single")
        lift = rules.lift
        keep = lift >= cfg.min_lift
        ante_ids, group = np.unique(rules.antecedent[keep], return_inverse=True)
        order = np.argsort(group, kind="stable")
        n_items = train.n_items
        a_indptr, a_items = sets.gather(ante_ids)
        self.antecedents_ = sp.csr_matrix((np.ones(len(a_items), np.float32), a_items, a_indptr),
                                          shape=(len(ante_ids), n_items))
        self.rule_ptr_ = np.zeros(len(ante_ids) + 1, dtype=np.int64)
        np.cumsum(np.bincount(group, minlength=len(ante_ids)), out=self.rule_ptr_[1:])
        cons = rules.consequent[keep][order]
        self.rule_item_ = sets.items[sets.indptr[cons]].astype(np.int64)
        self.rule_confidence_ = rules.confidence[keep][order]
        self.rule_lift_ = lift[keep][order]
        self.rule_support_ = rules.support[keep][order]
        self.item_support_ = train.item_popularity().astype(np.float64) / max(train.n_baskets, 1)
        self.n_itemsets_ = len(sets)

    def _mine(self, train: Interactions):
        cfg = self.config
        if cfg.engine == "spark":
            from cs_lab.spark.fpgrowth import itemsets_from_lines

            return itemsets_from_lines(train.lines, train.items, cfg.min_support, cfg.max_len,
                                       cfg.spark_settings())
        return fpgrowth(train.basket_items, cfg.min_support, cfg.max_len)

    @property
    def n_rules(self) -> int:
        self._check_fitted()
        return len(self.rule_item_)

    # scoring ------------------------------------------------------------------------------
    def _rule_value(self) -> np.ndarray:
        agg = self.config.aggregate
        if agg == "max_lift":
            return self.rule_lift_
        if agg == "weighted_sum":
            return self.rule_confidence_ * self.rule_lift_
        return self.rule_confidence_

    def _score(self, queries: Queries) -> np.ndarray:
        n, n_items = len(queries), self.n_items
        scores = np.full((n, n_items), -np.inf)
        rows, cols, vals = self._fired(queries.carts)
        if len(rows):
            key = rows * n_items + cols
            order = np.argsort(key, kind="stable")
            key, vals = key[order], vals[order]
            starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
            reduce = np.maximum if self.config.aggregate.startswith("max") else np.add
            scores.reshape(-1)[key[starts]] = reduce.reduceat(vals, starts)
        if self.config.fallback == "popularity":
            none = np.isneginf(scores) & (self.item_support_ > 0)
            scores[none] = np.broadcast_to(self.item_support_ - 1.0, scores.shape)[none]
        return scores

    def _fired(self, carts: sp.csr_matrix) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(cart row, consequent item, rule value) of every rule whose antecedent is in a cart."""
        a = self.antecedents_
        hits = (carts.astype(np.float32) @ a.T).tocsr()
        size = np.diff(a.indptr)
        fired = hits.data == size[hits.indices]
        row = np.repeat(np.arange(hits.shape[0]), np.diff(hits.indptr))[fired]
        ante = hits.indices[fired]
        n_r = self.rule_ptr_[ante + 1] - self.rule_ptr_[ante]
        total = int(n_r.sum())
        first = np.repeat(self.rule_ptr_[ante] - (np.cumsum(n_r) - n_r), n_r)
        idx = first + np.arange(total)
        return np.repeat(row, n_r).astype(np.int64), self.rule_item_[idx], self._rule_value()[idx]

    # inspection ---------------------------------------------------------------------------
    def rules_frame(self) -> pd.DataFrame:
        """The model's rules: antecedent and consequent item ids, support, confidence, lift."""
        self._check_fitted()
        ids = self.items_.ids
        a = self.antecedents_
        sizes = np.diff(self.rule_ptr_)
        ante = [tuple(ids[a.indices[a.indptr[i]:a.indptr[i + 1]]]) for i in range(a.shape[0])]
        return pd.DataFrame({"antecedent": [t for t, s in zip(ante, sizes) for _ in range(s)],
                             "consequent": ids[self.rule_item_],
                             "support": self.rule_support_, "confidence": self.rule_confidence_,
                             "lift": self.rule_lift_})

    # persistence --------------------------------------------------------------------------
    def _state(self) -> dict[str, np.ndarray]:
        return {**sparse_state("antecedents", self.antecedents_), "rule_ptr": self.rule_ptr_,
                "rule_item": self.rule_item_, "rule_confidence": self.rule_confidence_,
                "rule_lift": self.rule_lift_, "rule_support": self.rule_support_,
                "item_support": self.item_support_, "n_itemsets": np.asarray(self.n_itemsets_)}

    def _set_state(self, arrays: dict[str, np.ndarray]) -> None:
        self.antecedents_ = sparse_from_state("antecedents", arrays)
        self.rule_ptr_ = arrays["rule_ptr"]
        self.rule_item_ = arrays["rule_item"]
        self.rule_confidence_ = arrays["rule_confidence"]
        self.rule_lift_ = arrays["rule_lift"]
        self.rule_support_ = arrays["rule_support"]
        self.item_support_ = arrays["item_support"]
        self.n_itemsets_ = int(arrays["n_itemsets"])
