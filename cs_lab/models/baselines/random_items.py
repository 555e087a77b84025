"""Random baseline: uniform scores over the items seen in training, seeded per query."""

from __future__ import annotations

import zlib
from typing import Literal

import numpy as np

from cs_lab.data.interactions import Interactions
from cs_lab.data.queries import Queries
from cs_lab.models.base import Recommender
from cs_lab.models.baselines._common import seen_items
from cs_lab.models.config import ModelConfig
from cs_lab.models.registry import register


class RandomConfig(ModelConfig):
    model: Literal["random"] = "random"


@register
class RandomItems(Recommender):
    stochastic = True
    """Uniform random scores over the items seen in training.

    Each query draws from its own generator seeded with (seed, crc32(query id)), so a query gets
    the same list whatever batch it is scored in, and different queries get different lists.
    """

    config_class = RandomConfig

    def _fit(self, train: Interactions) -> None:
        self.seen_ = seen_items(train.item_popularity())

    def _score(self, queries: Queries) -> np.ndarray:
        n = self.n_items
        s = np.empty((len(queries), n))
        for row, qid in enumerate(queries.ids.tolist()):
            key = zlib.crc32(str(qid).encode("utf-8"))
            s[row] = np.random.default_rng([self.config.seed, key]).random(n)
        s[:, ~self.seen_] = -np.inf
        return s

    def _state(self):
        return {"seen": self.seen_}

    def _set_state(self, arrays):
        self.seen_ = arrays["seen"].astype(bool)
