"""UP-CF@r (Faggioli, Polato, Aiolli, UMAP 2020): recency-aware user-wise popularity spread by
user-based collaborative filtering with an asymmetric cosine. Equations, defaults and measured
numbers: docs/models_upcf.md.

    pop_r(u, i) = (number of u's last min(r, |B_u|) baskets holding i) / min(r, |B_u|)   (r = 0: all)
    sim(u, v)   = |I_u ∩ I_v| / (|I_u|^alpha * |I_v|^(1 - alpha))     (I_u: items u ever bought)
    score(u, i) = self_weight * pop_r(u, i) + sum_{v in N(u)} sim(u, v)^q * pop_r(v, i)

sim(u, u) = 1, so ``self_weight`` = 1 is the paper's sum over all users including u; N(u) are the
``neighbours`` most similar other training customers (0 = all). A query's profile treats a non-empty
cart as the customer's newest basket (it enters the last r baskets and I_u). Anonymous and unknown
customers have only the cart; with an empty cart and no customer the popularity fallback fills the
list.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import scipy.sparse as sp
from pydantic import Field

from cs_lab.data.interactions import Interactions
from cs_lab.data.queries import Queries
from cs_lab.models.base import Recommender, sparse_from_state, sparse_state
from cs_lab.models.basket.sequences import (BasketSequences, customer_rows, dense_scores, fill_with_popularity,
                                             top_neighbours)
from cs_lab.models.config import ModelConfig
from cs_lab.models.registry import register


class UPCFConfig(ModelConfig):
    model: Literal["upcf"] = "upcf"
    recency: int = Field(25, ge=0, description="r: the last r baskets make the user-wise popularity (0 = all)")
    alpha: float = Field(0.75, ge=0.0, le=1.0, description="asymmetric cosine exponent (0.5 = cosine)")
    locality: float = Field(5.0, ge=0.0, description="q: similarities raised to this power")
    neighbours: int = Field(100, ge=0, description="most similar customers used (0 = all)")
    self_weight: float = Field(1.0, ge=0.0, description="weight of the customer's own popularity (paper: 1)")
    fallback: Literal["popularity", "none"] = "popularity"


def recency_weights(n: np.ndarray, j: np.ndarray, r: int) -> np.ndarray:
    """1 / min(r, n) for the last r baskets (j < r), else 0; r = 0 means every basket."""
    n = np.asarray(n, dtype=np.float64)
    j = np.asarray(j)
    if r <= 0:
        return 1.0 / n
    return np.where(j < r, 1.0 / np.minimum(n, r), 0.0)


@register
class UPCF(Recommender):
    """Own recency-aware popularity + asymmetric-cosine-weighted popularity of similar customers."""

    config_class = UPCFConfig

    def _weight(self, n: np.ndarray, j: np.ndarray) -> np.ndarray:
        return recency_weights(n, j, self.config.recency)

    def _fit(self, train: Interactions) -> None:
        self.sequences_ = BasketSequences.from_interactions(train)
        self.popularity_r_ = self.sequences_.profiles(np.arange(train.n_customers), self._weight)
        bought = sp.csr_matrix(train.customer_items, dtype=np.float64)
        bought.eliminate_zeros()
        bought.data[:] = 1.0
        self.bought_ = bought
        self.popularity_ = np.asarray(train.item_popularity(), dtype=np.float64)

    def _similarity(self, items: sp.csr_matrix, customers: np.ndarray) -> np.ndarray:
        a = self.config.alpha
        inter = np.asarray((items @ self.bought_.T).todense(), dtype=np.float64)
        nq = np.diff(items.indptr).astype(np.float64)
        nu = np.diff(self.bought_.indptr).astype(np.float64)
        with np.errstate(invalid="ignore", divide="ignore"):
            sim = inter / ((nq[:, None] ** a) * (nu[None, :] ** (1.0 - a)))
        sim[~np.isfinite(sim)] = 0.0
        rows = np.flatnonzero(customers >= 0)
        sim[rows, customers[rows]] = 0.0          # the customer itself enters through self_weight
        return sim

    def _score(self, queries: Queries) -> np.ndarray:
        c = self.config
        own = self.sequences_.profiles(queries.customers, self._weight, queries.carts)
        # items the query's customer ever bought, plus the cart
        items = customer_rows(self.bought_, queries.customers) + sp.csr_matrix(queries.carts, dtype=np.float64)
        items = sp.csr_matrix(items)
        items.eliminate_zeros()
        items.data[:] = 1.0
        nb = top_neighbours(self._similarity(items, queries.customers), c.neighbours)
        nb.data = nb.data ** c.locality
        s = dense_scores(c.self_weight * own + nb @ self.popularity_r_, self.n_items)
        return fill_with_popularity(s, self.popularity_) if c.fallback == "popularity" else s

    def _state(self):
        return {**self.sequences_.state("sequences"), **sparse_state("popularity_r", self.popularity_r_),
                **sparse_state("bought", self.bought_), "popularity": self.popularity_}

    def _set_state(self, arrays):
        self.sequences_ = BasketSequences.from_state("sequences", arrays)
        self.popularity_r_ = sparse_from_state("popularity_r", arrays)
        self.bought_ = sparse_from_state("bought", arrays)
        self.popularity_ = arrays["popularity"]
