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
from cs_lab.models.basket._tail import fill_tail
from cs_lab.models.basket.sequences import BasketSequences, customer_rows
from cs_lab.models.config import ModelConfig
from cs_lab.models.implicit_cf.item_knn import ItemKNN, ItemKNNConfig
from cs_lab.models.registry import register

_EDGE = 1e-6   # shares are clipped into [_EDGE, 1 - _EDGE] for interleaving (no division by zero)


class RepeatExploreConfig(ModelConfig):
    model: Literal["repeat_explore"] = "repeat_explore"
    repeat_share: float = Field(0.6, ge=0.0, le=1.0, description="share of the list given to repeat items")
    mix: Literal["interleave", "score"] = "interleave"
    repeat_decay: float = Field(0.9, gt=0.0, le=1.0, description="per-basket decay of the repeat frequency (1 = plain counts)")
    history_weight: float = Field(0.1, ge=0.0, description="weight of the history (vs the cart) in the explore query")
    weighting: Literal["cosine", "bm25", "tfidf"] = "bm25"
    neighbours: int = Field(50, ge=1, description="similar items kept per item (explore list)")


def row_ranks(m: sp.csr_matrix) -> np.ndarray:
    """Rank (0 = best) of each stored entry within its row: larger value first, ties lower column
    (indices sorted). One row at a time, so a row's ranks never depend on the other rows (and one
    short sort per row is faster here than one lexsort over the block)."""
    ranks = np.empty(m.nnz, dtype=np.int64)
    for r in range(m.shape[0]):
        a, b = m.indptr[r], m.indptr[r + 1]
        order = np.argsort(-m.data[a:b], kind="stable")
        ranks[a + order] = np.arange(b - a)
    return ranks


def _drop(m: sp.csr_matrix, mask: sp.csr_matrix) -> sp.csr_matrix:
    """``m`` without the entries where ``mask`` is non-zero (and without non-positive entries)."""
    m = sp.csr_matrix(m - m.multiply(mask > 0))
    m.data[m.data <= 0] = 0.0
    m.eliminate_zeros()
    m.sort_indices()
    return m


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
        bought = sp.csr_matrix(train.customer_items, dtype=np.float64)
        bought.eliminate_zeros()
        bought.data[:] = 1.0
        self.bought_ = bought
        self.popularity_ = np.asarray(train.item_popularity(), dtype=np.float64)

    def _lists(self, queries: Queries) -> tuple[sp.csr_matrix, sp.csr_matrix, sp.csr_matrix]:
        """Repeat list, explore list (items reached by the neighbours) and the items on neither
        list's tail (bought, in the cart, or reached), all CSR over the batch."""
        c = self.config
        n = len(queries)
        rep = self.sequences_.profiles(queries.customers, self._weight)
        bought = customer_rows(self.bought_, queries.customers)
        cart = sp.csr_matrix(queries.carts, dtype=np.float64)
        top = np.asarray(rep.max(axis=1).todense()).ravel() if n else np.zeros(0)
        norm = sp.diags(np.where(top > 0, 1.0 / np.where(top > 0, top, 1.0), 0.0)) @ rep
        explore = sp.csr_matrix((cart + c.history_weight * norm) @ self.similarity_)
        explore = _drop(explore, bought + cart)                 # explore = never bought, not in the cart
        repeat = _drop(rep, cart)
        off_tail = sp.csr_matrix(bought + cart + (explore > 0))
        off_tail.sort_indices()
        return repeat, explore, off_tail

    def _score(self, queries: Queries) -> np.ndarray:
        c = self.config
        n, n_items = len(queries), self.n_items
        repeat, explore, off_tail = self._lists(queries)
        pop = self.popularity_
        seen = pop > 0
        s = np.full((n, n_items), -np.inf)
        r_rows = np.repeat(np.arange(n), np.diff(repeat.indptr))
        e_rows = np.repeat(np.arange(n), np.diff(explore.indptr))
        if c.mix == "interleave":
            share = min(max(c.repeat_share, _EDGE), 1.0 - _EDGE)
            s[r_rows, repeat.indices] = -(row_ranks(repeat) + 0.5) / share
            s[e_rows, explore.indices] = -(row_ranks(explore) + 0.5) / (1.0 - share)
            # the tail continues the explore ranks: the row's tail items (seen, not bought, not in
            # the cart, not reached) in the global popularity order
            order = np.lexsort((np.arange(n_items), -pop))
            order = order[seen[order]]                      # seen items, most popular first
            fill_tail(s, order, off_tail.indptr, off_tail.indices, np.diff(explore.indptr), 1.0 - share)
            return s
        rtop = np.asarray(repeat.max(axis=1).todense()).ravel()
        etop = np.asarray(explore.max(axis=1).todense()).ravel()
        s[r_rows, repeat.indices] = c.repeat_share * repeat.data / rtop[r_rows]
        s[e_rows, explore.indices] = (1.0 - c.repeat_share) * explore.data / etop[e_rows]
        fill = np.where(seen, pop / (pop.max() + 1.0) - 2.0, -np.inf)
        off = np.zeros((n, n_items), dtype=bool)
        o_rows = np.repeat(np.arange(n), np.diff(off_tail.indptr))
        off[o_rows, off_tail.indices] = True
        np.copyto(s, np.broadcast_to(fill, s.shape), where=~off & np.isneginf(s))
        return s

    def _state(self):
        return {**self.sequences_.state("sequences"), **sparse_state("similarity", self.similarity_),
                **sparse_state("bought", self.bought_), "popularity": self.popularity_}

    def _set_state(self, arrays):
        self.sequences_ = BasketSequences.from_state("sequences", arrays)
        self.similarity_ = sparse_from_state("similarity", arrays)
        self.bought_ = sparse_from_state("bought", arrays)
        self.popularity_ = arrays["popularity"]
