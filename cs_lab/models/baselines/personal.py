"""Personal baselines: the customer's own most frequently bought items (then global popularity)."""

from __future__ import annotations

from typing import Literal

import numpy as np

from cs_lab.data.interactions import Interactions
from cs_lab.data.queries import Queries
from cs_lab.models.base import Recommender, sparse_from_state, sparse_state
from cs_lab.models.baselines._common import tie_break
from cs_lab.models.config import ModelConfig
from cs_lab.models.registry import register


class PersonalConfig(ModelConfig):
    model: Literal["personal"] = "personal"


class PersonalFallbackConfig(ModelConfig):
    model: Literal["personal_fallback"] = "personal_fallback"


@register
class Personal(Recommender):
    """Score = number of the customer's training baskets holding the item + popularity in [0, 1).

    Only items the customer bought are candidates; anonymous or unknown customers get none.
    """

    config_class = PersonalConfig

    def _fit(self, train: Interactions) -> None:
        self.history_ = train.customer_items.tocsr()
        self.popularity_ = np.asarray(train.item_popularity(), dtype=np.float64)

    def _personal(self, queries: Queries, out: np.ndarray | None = None) -> np.ndarray:
        """Dense personal scores (>= 1) for bought items, written into ``out`` (default: -inf
        everywhere else). Only the customers' stored items are touched (no dense history copy)."""
        s = np.full((len(queries), self.n_items), -np.inf) if out is None else out
        known = np.flatnonzero(queries.customers >= 0)
        if len(known):
            sub = self.history_[queries.customers[known]].tocsr()
            rows = np.repeat(known, np.diff(sub.indptr))
            cols = sub.indices
            ok = sub.data > 0
            s[rows[ok], cols[ok]] = sub.data[ok].astype(np.float64) + tie_break(self.popularity_)[cols[ok]]
        return s

    def _score(self, queries: Queries) -> np.ndarray:
        return self._personal(queries)

    def _state(self):
        return {**sparse_state("history", self.history_), "popularity": self.popularity_}

    def _set_state(self, arrays):
        self.history_ = sparse_from_state("history", arrays)
        self.popularity_ = arrays["popularity"]


@register
class PersonalFallback(Personal):
    """Personal items first (scores >= 1), then every other seen item by global popularity
    (scores in [0, 1)), so the personal ones always rank above the fallback ones."""

    config_class = PersonalFallbackConfig

    def _score(self, queries: Queries) -> np.ndarray:
        fill = np.where(self.popularity_ > 0, tie_break(self.popularity_), -np.inf)
        s = np.empty((len(queries), self.n_items))
        s[:] = fill[None, :]
        return self._personal(queries, out=s)   # personal scores (>= 1) replace the fallback (< 1)
