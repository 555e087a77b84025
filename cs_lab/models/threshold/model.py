"""The ``threshold`` re-ranker: any base model's scores, re-ranked to close the gap to an order threshold."""

from __future__ import annotations

from typing import Any

import numpy as np

from cs_lab.data.interactions import Interactions
from cs_lab.data.queries import Queries
from cs_lab.models.hybrid.composite import Composite
from cs_lab.models.registry import register
from cs_lab.models.threshold.config import ThresholdConfig
from cs_lab.models.threshold.gap import cart_values, rerank


@register
class Threshold(Composite):
    """Carts below the threshold T get the base model's likely items re-ranked by how well their value
    closes the gap T - cart value (rule: cs_lab.models.threshold.gap); carts at or over T get the base
    model's ranking. Item values are the training median unit price x the median quantity per line
    (1 unit when unknown), the same values the guardrails use; the cart's value is the sum over its
    items. Those values are saved with the model."""

    config_class = ThresholdConfig
    STATE = "gap.line_value"

    def _sub_configs(self) -> dict[str, dict[str, Any]]:
        return {"base": dict(self.config.base)}

    def _fit(self, train: Interactions) -> None:
        self._fit_subs(train)
        qty = np.asarray(train.item_quantity, dtype=np.float64)
        qty = np.where(np.isfinite(qty) & (qty > 0), qty, 1.0)
        self.line_value_ = np.asarray(train.item_price, dtype=np.float64) * qty

    @property
    def threshold_offer(self) -> dict[str, Any]:
        """The offer the simulation's threshold arm applies (value T, benefit, amount)."""
        return self.config.threshold.model_dump()

    def cart_value(self, queries: Queries) -> np.ndarray:
        """(n,) each cart's estimated value (sum of its items' price x typical quantity)."""
        self._check_fitted()
        return cart_values(queries.carts, self.line_value_)

    def _score(self, queries: Queries) -> np.ndarray:
        s = self._sub_scores("base", queries)
        gap = self.config.threshold.value - self.cart_value(queries)
        c = self.config
        return rerank(s, gap, self.line_value_, weight=c.weight, tolerance=c.tolerance, candidates=c.candidates,
                      only_closable=c.only_closable)

    def _state(self):
        return {**super()._state(), self.STATE: self.line_value_}

    def _set_state(self, arrays):
        super()._set_state(arrays)
        self.line_value_ = np.asarray(arrays[self.STATE], dtype=np.float64)
