"""The guarded model: any model's offers passed through the business guardrails."""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from cs_lab.data.interactions import Interactions
from cs_lab.data.queries import Queries
from cs_lab.models.business.guardrails import GuardrailStats, cap_offers, guardrail_mask
from cs_lab.models.config import ModelConfig
from cs_lab.models.hybrid.composite import Composite, normalise_sub_config
from cs_lab.models.registry import register


class SegmentRule(BaseModel):
    """A customer segment and what to do with its offers."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    threshold: float | None
    """Customers with a value >= threshold are in the segment; null switches the guardrail off."""
    min_lines: int = Field(10, ge=1)
    """Customers with fewer training lines are never put in the segment (too little evidence)."""
    action: Literal["suppress", "cheap_only"]
    """suppress: no offers at all; cheap_only: only items priced up to the cap below."""
    max_price: float | None = Field(None, gt=0)
    """Price cap for cheap_only; null = the ``price_quantile`` of training item prices."""
    price_quantile: float = Field(0.25, gt=0, le=1)


class ReturnersRule(SegmentRule):
    """Heavy returners: returned value / purchased value in training (train.returns)."""

    threshold: float | None = Field(0.25, ge=0)
    action: Literal["suppress", "cheap_only"] = "suppress"


class DiscountSeekersRule(SegmentRule):
    """Discount seekers: share of training lines with discount > 0 (data with a 'discount' column)."""

    threshold: float | None = Field(0.8, ge=0, le=1)
    action: Literal["suppress", "cheap_only"] = "cheap_only"


class GuardedConfig(ModelConfig):
    model: Literal["guarded"] = "guarded"
    inner: dict[str, Any]
    """The wrapped model's config, built through the registry (``{"model": "als", "factors": 64}``)."""
    dearest_item: bool = True
    """An add-on may not cost more than the dearest priced item in the cart."""
    cart_share: float | None = Field(0.10, gt=0)
    """An add-on may not cost more than this share of the cart value (price x typical quantity); null = off."""
    margin_floor: float | None = Field(0.0, le=1)
    """Items with known cost need (price - cost) >= floor x price; 0 = never below cost; null = off."""
    returners: ReturnersRule = ReturnersRule()
    discount_seekers: DiscountSeekersRule = DiscountSeekersRule()
    max_offers: int | None = Field(None, ge=1)
    """At most this many offers per query; null = as many as asked for."""
    unknown_price: Literal["allow", "block"] = "allow"
    """Candidates with no known price: pass the price checks, or are blocked by them."""

    @field_validator("inner", mode="before")
    @classmethod
    def _inner(cls, v: Any, info: ValidationInfo) -> Any:
        return normalise_sub_config(v, "inner", info.data.get("seed", 0))


@register
class Guarded(Composite):
    """Scores of ``inner`` with every guardrail-blocked item set to -inf, then capped to
    ``max_offers`` candidates per query. Cart items are removed before the cap, so the cap counts
    real offers. Guardrail statistics come from the training data and are saved with the model."""

    config_class = GuardedConfig
    STATS = "guard."

    def _sub_configs(self) -> dict[str, dict[str, Any]]:
        return {"inner": dict(self.config.inner)}

    def _fit(self, train: Interactions) -> None:
        self._fit_subs(train)
        self.stats_ = GuardrailStats.from_train(train)

    @property
    def inner_(self):
        return self.subs_["inner"]

    def _score(self, queries: Queries) -> np.ndarray:
        s = self._sub_scores("inner", queries)
        s[guardrail_mask(self.config, self.stats_, queries)] = -np.inf
        if self.config.max_offers is not None:
            cap_offers(s, self.config.max_offers)
        return s

    def _state(self):
        return {**super()._state(), **self.stats_.state(self.STATS)}

    def _set_state(self, arrays):
        super()._set_state(arrays)
        self.stats_ = GuardrailStats.from_state(arrays, self.STATS)
