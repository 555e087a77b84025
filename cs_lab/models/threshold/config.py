"""The typed config of the ``threshold`` re-ranker and of the threshold offer it nudges towards."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from cs_lab.models.config import ModelConfig
from cs_lab.models.hybrid.composite import normalise_sub_config


class ThresholdOffer(BaseModel):
    """The order threshold and what reaching it gives the customer.

    value    T, in the data's currency: an order of goods worth >= T gets the benefit.
    benefit  ``free_delivery``: the delivery fee ``amount`` (currency) is waived;
             ``tier_discount``: the whole order gets the discount fraction ``amount`` (0.05 = 5 %).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    value: float = Field(gt=0)
    benefit: Literal["free_delivery", "tier_discount"] = "free_delivery"
    amount: float = Field(0.0, ge=0)

    @model_validator(mode="after")
    def _check(self) -> "ThresholdOffer":
        if self.benefit == "tier_discount" and self.amount >= 1:
            raise ValueError(f"amount is a discount fraction for tier_discount (0.05 = 5 %), got {self.amount}")
        return self


class ThresholdConfig(ModelConfig):
    model: Literal["threshold"] = "threshold"
    base: dict[str, Any]
    """The base model whose scores say what the customer is likely to want (``{"model": "item_knn", ...}``)."""
    threshold: ThresholdOffer
    weight: float = Field(0.5, ge=0, le=1)
    """Share of the final score given to closing the gap (0 = the base ranking, 1 = the gap only)."""
    tolerance: float = Field(0.5, gt=0)
    """Overshoot tolerance: an add-on overshooting the gap by ``tolerance`` x gap keeps exp(-1) of the bonus."""
    only_closable: bool = True
    """Re-rank only carts for which some candidate closes the gap on its own (else the base ranking)."""
    candidates: int = Field(50, ge=1)
    """Only the base model's top ``candidates`` items per cart are re-ranked (the rest keep the base order below them)."""

    @field_validator("base", mode="before")
    @classmethod
    def _base(cls, v: Any, info: ValidationInfo) -> Any:
        return normalise_sub_config(v, "base", info.data.get("seed", 0))
