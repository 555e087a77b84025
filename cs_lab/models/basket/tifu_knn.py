"""TIFU-KNN (Hu, He, Gao, Zhang, SIGIR 2020): personal item frequency with time decay, plus the
frequency vectors of the nearest customers. Equations, defaults and measured numbers:
docs/models_tifu_knn.md.

A customer's n baskets (oldest first) are cut into groups of ``group_size`` m, counted from the
newest, so the oldest group holds the remainder; with k = ceil(n / m) groups, the basket at position
j from the end (0 = newest) lies in group g = j // m (0 = newest) at in-group position j mod m and
gets weight

    w(n, j) = r_g^g * r_b^(j mod m) / (size(g) * k)

(the group average of within-decayed baskets, then the group-decayed average of groups). The
customer vector is sum_j w(n, j) * basket_j. A query's vector treats a non-empty cart as the newest
basket. Prediction: alpha * own vector + (1 - alpha) * mean vector of the ``neighbours`` most similar
training customers (cosine, or smallest Euclidean distance; the query's own customer excluded; with
cosine only customers sharing an item count). Anonymous and unknown customers have only the cart;
with an empty cart and no customer nothing is known and the popularity fallback fills the list.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import scipy.sparse as sp
from pydantic import Field

from cs_lab.data.interactions import Interactions
from cs_lab.data.queries import Queries
from cs_lab.models.base import Recommender, sparse_from_state, sparse_state
from cs_lab.models.basket.sequences import BasketSequences, dense_scores, fill_with_popularity, top_neighbours
from cs_lab.models.config import ModelConfig
from cs_lab.models.registry import register


class TIFUKNNConfig(ModelConfig):
    model: Literal["tifu_knn"] = "tifu_knn"
    neighbours: int = Field(300, ge=1, description="k: nearest customers averaged")
    group_size: int = Field(7, ge=1, description="m: baskets per group (the oldest group holds the remainder)")
    within_decay: float = Field(0.9, gt=0.0, le=1.0, description="r_b: decay between baskets of a group")
    group_decay: float = Field(0.7, gt=0.0, le=1.0, description="r_g: decay between groups")
    alpha: float = Field(0.7, ge=0.0, le=1.0, description="weight of the customer's own vector")
    metric: Literal["cosine", "euclidean"] = "cosine"
    fallback: Literal["popularity", "none"] = "popularity"


def tifu_weights(n: np.ndarray, j: np.ndarray, m: int, r_b: float, r_g: float) -> np.ndarray:
    """Weight of the basket ``j`` from the end in a sequence of ``n`` baskets (see module docstring)."""
    n = np.asarray(n, dtype=np.int64)
    j = np.asarray(j, dtype=np.int64)
    k = -(-n // m)                                   # ceil(n / m) groups
    g = j // m
    size = np.where(g < k - 1, m, n - m * (k - 1))
    return (r_g ** g) * (r_b ** (j % m)) / (size * k)


@register
class TIFUKNN(Recommender):
    """alpha * own time-decayed item-frequency vector + (1 - alpha) * neighbours' mean vector."""

    config_class = TIFUKNNConfig

    def _weight(self, n: np.ndarray, j: np.ndarray) -> np.ndarray:
        c = self.config
        return tifu_weights(n, j, c.group_size, c.within_decay, c.group_decay)

    def _fit(self, train: Interactions) -> None:
        self.sequences_ = BasketSequences.from_interactions(train)
        self.vectors_ = self.sequences_.profiles(np.arange(train.n_customers), self._weight)
        self.popularity_ = np.asarray(train.item_popularity(), dtype=np.float64)

    def _norms(self) -> np.ndarray:
        v = self.vectors_
        return np.sqrt(np.asarray(v.multiply(v).sum(axis=1)).ravel())

    def _neighbour_means(self, own: sp.csr_matrix, customers: np.ndarray) -> sp.csr_matrix:
        """Mean vector of each query's nearest training customers (their own customer excluded)."""
        u = self.vectors_
        dots = np.asarray((own @ u.T).todense(), dtype=np.float64)
        qn = np.sqrt(np.asarray(own.multiply(own).sum(axis=1)).ravel())
        un = self._norms()
        if self.config.metric == "cosine":
            with np.errstate(invalid="ignore", divide="ignore"):
                sim = dots / (qn[:, None] * un[None, :])
            sim[~np.isfinite(sim)] = 0.0
            positive_only = True
        else:   # a larger similarity = a smaller squared distance; customers without baskets never
            sim = -(qn[:, None] ** 2 + un[None, :] ** 2 - 2.0 * dots)
            sim[:, un == 0] = -np.inf
            positive_only = False
        rows = np.flatnonzero(customers >= 0)
        sim[rows, customers[rows]] = 0.0 if positive_only else -np.inf
        sim[qn == 0] = 0.0 if positive_only else -np.inf    # nothing known: no neighbours
        nb = top_neighbours(sim, self.config.neighbours, positive_only=positive_only)
        count = np.diff(nb.indptr)
        nb.data[:] = np.repeat(1.0 / np.maximum(count, 1), count)
        return sp.csr_matrix(nb @ u)

    def _score(self, queries: Queries) -> np.ndarray:
        c = self.config
        own = self.sequences_.profiles(queries.customers, self._weight, queries.carts)
        mix = c.alpha * own + (1.0 - c.alpha) * self._neighbour_means(own, queries.customers)
        s = dense_scores(mix, self.n_items)
        return fill_with_popularity(s, self.popularity_) if c.fallback == "popularity" else s

    def _state(self):
        return {**self.sequences_.state("sequences"), **sparse_state("vectors", self.vectors_),
                "popularity": self.popularity_}

    def _set_state(self, arrays):
        self.sequences_ = BasketSequences.from_state("sequences", arrays)
        self.vectors_ = sparse_from_state("vectors", arrays)
        self.popularity_ = arrays["popularity"]
