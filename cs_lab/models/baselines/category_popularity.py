"""Category popularity: popular items from the categories already in the cart."""

from __future__ import annotations

from typing import Literal

import numpy as np
import scipy.sparse as sp

from cs_lab.data.interactions import Interactions
from cs_lab.data.queries import Queries
from cs_lab.errors import DataError
from cs_lab.models.base import Recommender
from cs_lab.models.baselines._common import tie_break
from cs_lab.models.config import ModelConfig
from cs_lab.models.registry import register


class CategoryPopularityConfig(ModelConfig):
    model: Literal["category_popularity"] = "category_popularity"
    level: str = "category_1"
    """Category column of the training lines (category_1 coarse ... category_3 fine)."""
    fallback: bool = True
    """Rank the other seen items by global popularity below the in-category ones (else they are no candidates)."""


@register
class CategoryPopularity(Recommender):
    """Score = number of cart items sharing the item's category + popularity in [0, 1).

    Items from the category most represented in the cart come first, by basket count within a tier;
    with ``fallback`` every other seen item follows by global popularity. Items with no category
    at ``level`` only ever appear through the fallback.
    """

    config_class = CategoryPopularityConfig

    def _fit(self, train: Interactions) -> None:
        level = self.config.level
        if level not in train.item_categories:
            raise DataError(f"category_popularity: the training data has no category level {level!r} "
                            f"(levels: {sorted(train.item_categories) or 'none'})", column=level,
                            hint="set 'level' to one of the levels, or use the popularity model")
        self.popularity_ = np.asarray(train.item_popularity(), dtype=np.float64)
        self.codes_ = np.asarray(train.item_categories[level], dtype=np.int64)

    def _item_category(self) -> sp.csr_matrix:
        """(n_items, n_categories) one-hot of each item's category (-1 rows empty)."""
        ok = self.codes_ >= 0
        n_cat = int(self.codes_.max()) + 1 if ok.any() else 0
        rows = np.flatnonzero(ok)
        return sp.csr_matrix((np.ones(len(rows)), (rows, self.codes_[ok])), shape=(len(self.codes_), n_cat))

    def _score(self, queries: Queries) -> np.ndarray:
        ic = self._item_category()
        # cart items per category, then spread back to the items of each category
        tier = np.asarray(((queries.carts @ ic) @ ic.T).todense(), dtype=np.float64)
        base = tie_break(self.popularity_)
        s = tier + base[None, :]
        seen = self.popularity_ > 0
        keep = (tier > 0) | self.config.fallback
        s[~(keep & seen[None, :])] = -np.inf
        return s

    def _state(self):
        return {"popularity": self.popularity_, "codes": self.codes_}

    def _set_state(self, arrays):
        self.popularity_, self.codes_ = arrays["popularity"], arrays["codes"]
