"""Global popularity: the items in the most training baskets."""

from __future__ import annotations

from typing import Literal

import numpy as np

from cs_lab.data.interactions import Interactions
from cs_lab.data.queries import Queries
from cs_lab.models.base import Recommender
from cs_lab.models.config import ModelConfig
from cs_lab.models.registry import register


class PopularityConfig(ModelConfig):
    model: Literal["popularity"] = "popularity"
    by: Literal["baskets", "customers", "quantity"] = "baskets"


@register
class Popularity(Recommender):
    """Scores every item by its training popularity (baskets, distinct customers, or units sold)."""

    config_class = PopularityConfig

    def _fit(self, train: Interactions) -> None:
        if self.config.by == "baskets":
            pop = train.item_popularity()
        elif self.config.by == "customers":
            pop = np.asarray((train.customer_items > 0).sum(axis=0)).ravel()
        else:
            lines = train.lines
            pop = np.zeros(train.n_items)
            if lines is not None:
                idx = train.items.index(lines["item_id"].to_numpy())
                ok = idx >= 0
                np.add.at(pop, idx[ok], lines["quantity"].to_numpy()[ok])
        self.popularity_ = np.asarray(pop, dtype=np.float64)

    def _score(self, queries: Queries) -> np.ndarray:
        s = np.broadcast_to(self.popularity_, (len(queries), self.n_items)).copy()
        s[:, self.popularity_ <= 0] = -np.inf
        return s

    def _state(self):
        return {"popularity": self.popularity_}

    def _set_state(self, arrays):
        self.popularity_ = arrays["popularity"]
