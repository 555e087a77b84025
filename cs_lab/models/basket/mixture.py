"""Repeat/explore mixture: a repeat list (the customer's own items by time-decayed purchase
frequency) and an explore list (item-item neighbours of the cart and the history, items the customer
never bought), mixed at a tuned share. Equations, defaults and measured numbers: docs/models_mixture.md.

    repeat(u, i)  = sum_j decay^j [i in basket_j]         (j = 0 the newest training basket)
    explore(u, i) = sum_{c in cart} S[c, i] + history_weight * sum_h repeat(u, h) / max_h repeat(u, h) * S[h, i]
                    for items i the customer never bought (S: item x item kNN similarity over baskets)

``mix = "interleave"``: the two ranked lists are merged so that about ``repeat_share`` of each
prefix is repeat items (repeat rank r scores -(r + 1/2) / share, explore rank e scores
-(e + 1/2) / (1 - share)). ``mix = "score"``: share * repeat / max + (1 - share) * explore / max.
The explore list continues with every other item seen in training by popularity, so every list is
full. Anonymous and unknown customers have no repeat list: their list is the explore list of the
cart. When the task excludes the history (the explore task), every repeat item is masked and the
model is its explore list.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import scipy.sparse as sp
from pydantic import Field

from cs_lab.data.interactions import Interactions
from cs_lab.data.queries import Queries
from cs_lab.models.base import Recommender, sparse_from_state, sparse_state
from cs_lab.models.basket.sequences import BasketSequences, dense_scores
from cs_lab.models.config import ModelConfig
from cs_lab.models.implicit_cf.item_knn import ItemKNN, ItemKNNConfig
from cs_lab.models.registry import register

_EDGE = 1e-6   # shares are clipped into [_EDGE, 1 - _EDGE] for interleaving (no division by zero)


class RepeatExploreConfig(ModelConfig):
    model: Literal["repeat_explore"] = "repeat_explore"
    repeat_share: float = Field(0.6, ge=0.0, le=1.0, description="share of the list given to repeat items")
    mix: Literal["interleave", "score"] = "interleave"
    repeat_decay: float = Field(0.9, gt=0.0, le=1.0, description="per-basket decay of the repeat frequency (1 = plain counts)")
    history_weight: float = Field(0.5, ge=0.0, description="weight of the history (vs the cart) in the explore query")
    weighting: Literal["cosine", "bm25", "tfidf"] = "bm25"
    neighbours: int = Field(50, ge=1, description="similar items kept per item (explore list)")


def rank_scores(s: np.ndarray) -> np.ndarray:
    """Rank (0 = best) of every finite entry per row (ties: lower index first); -1 for -inf."""
    order = np.argsort(-s, axis=1, kind="stable")
    ranks = np.empty_like(order)
    np.put_along_axis(ranks, order, np.arange(s.shape[1])[None, :].repeat(s.shape[0], 0), axis=1)
    return np.where(np.isfinite(s), ranks, -1)


@register
class RepeatExplore(Recommender):
    """Repeat list (decayed personal frequency) and explore list (item kNN, new items) mixed."""

    config_class = RepeatExploreConfig

    def _weight(self, n: np.ndarray, j: np.ndarray) -> np.ndarray:
        return self.config.repeat_decay ** np.asarray(j, dtype=np.float64)

    def _fit(self, train: Interactions) -> None:
        c = self.config
        knn = ItemKNN(ItemKNNConfig(weighting=c.weighting, neighbours=c.neighbours, train_on="baskets",
                                    fallback="none", num_threads=1))
        self.similarity_ = knn.fit(train).similarity_
        self.sequences_ = BasketSequences.from_interactions(train)
        self.popularity_ = np.asarray(train.item_popularity(), dtype=np.float64)

    def _lists(self, queries: Queries) -> tuple[np.ndarray, np.ndarray]:
        """Dense repeat and explore scores (-inf off each list; cart items off both)."""
        c = self.config
        rep = self.sequences_.profiles(queries.customers, self._weight)
        top = np.asarray(rep.max(axis=1).todense()).ravel()
        norm = sp.diags(np.where(top > 0, 1.0 / np.where(top > 0, top, 1.0), 0.0)) @ rep
        q = sp.csr_matrix(queries.carts, dtype=np.float64) + c.history_weight * norm
        explore = dense_scores(sp.csr_matrix(q) @ self.similarity_, self.n_items)
        repeat = dense_scores(rep, self.n_items)
        # the tail of the explore list: every other item seen in training, by popularity, below
        pop = self.popularity_
        fill = np.where(pop > 0, pop / (pop.max() + 1.0) - 2.0, -np.inf)
        rows, cols = np.nonzero(np.isneginf(explore))
        explore[rows, cols] = fill[cols]
        explore[np.isfinite(repeat)] = -np.inf                  # explore = never bought
        cart = queries.carts.tocoo()
        repeat[cart.row, cart.col] = -np.inf
        explore[cart.row, cart.col] = -np.inf
        return repeat, explore

    def _score(self, queries: Queries) -> np.ndarray:
        c = self.config
        repeat, explore = self._lists(queries)
        if c.mix == "interleave":
            share = min(max(c.repeat_share, _EDGE), 1.0 - _EDGE)
            rr, er = rank_scores(repeat), rank_scores(explore)
            s = np.where(rr >= 0, -(rr + 0.5) / share, -np.inf)
            return np.where(er >= 0, -(er + 0.5) / (1.0 - share), s)
        rtop = np.where(np.isfinite(repeat), repeat, 0.0).max(axis=1, keepdims=True)
        etop = np.where(explore > 0, explore, 0.0).max(axis=1, keepdims=True)
        with np.errstate(invalid="ignore", divide="ignore"):
            s = np.where(np.isfinite(repeat), c.repeat_share * repeat / rtop, -np.inf)
            reached = explore > 0           # reached by the neighbours (the popularity tail is < 0)
            s = np.where(reached, (1.0 - c.repeat_share) * explore / np.where(etop > 0, etop, 1.0), s)
        return np.where(np.isfinite(explore) & ~reached, explore, s)

    def _state(self):
        return {**self.sequences_.state("sequences"), **sparse_state("similarity", self.similarity_),
                "popularity": self.popularity_}

    def _set_state(self, arrays):
        self.sequences_ = BasketSequences.from_state("sequences", arrays)
        self.similarity_ = sparse_from_state("similarity", arrays)
        self.popularity_ = arrays["popularity"]
