"""Fallback chain: fill the list from the first model's candidates, then the next model's, ..."""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
from pydantic import ValidationInfo, field_validator

from cs_lab.data.queries import Queries
from cs_lab.models.config import ModelConfig
from cs_lab.models.hybrid.composite import Composite, as_named, normalise_sub_config
from cs_lab.models.hybrid.normalize import minmax_rows
from cs_lab.models.registry import register


class FallbackConfig(ModelConfig):
    model: Literal["fallback"] = "fallback"
    models: dict[str, dict[str, Any]]
    """Sub-model configs by position, "0" first: ``{"0": {"model": "business_rules", ...}, "1": {...}}``.
    A list is accepted and numbered in order."""

    @field_validator("models", mode="before")
    @classmethod
    def _sub_models(cls, v: Any, info: ValidationInfo) -> Any:
        v = as_named(v)
        if not isinstance(v, dict):
            return v  # the type check reports it
        if not v:
            raise ValueError("give at least one model")
        v = {str(k): m for k, m in v.items()}
        want = [str(i) for i in range(len(v))]
        if sorted(v, key=lambda k: (len(k), k)) != want:
            raise ValueError(f"keys must be the positions {want} (a list is numbered for you), got {list(v)}")
        seed = info.data.get("seed", 0)
        return {k: normalise_sub_config(v[k], f"models.{k}", seed) for k in want}


@register
class Fallback(Composite):
    """Model 0's candidates first, then model 1's for the slots left, and so on.

    Each model's scores (cart items removed) are min-max normalised per query into [0, 1] and
    lifted by 2 x (number of later models), so every candidate of an earlier model outranks every
    candidate of a later one; an item offered by several models keeps its earliest placement.
    The returned scores show the tier (integer part / 2) and the within-model order, nothing more.
    """

    config_class = FallbackConfig

    def _score(self, queries: Queries) -> np.ndarray:
        names = list(self.config.models)
        out = np.full((len(queries), self.n_items), -np.inf)
        for pos, name in enumerate(names):
            norm, cand = minmax_rows(self._sub_scores(name, queries))
            tier = 2.0 * (len(names) - 1 - pos)
            np.maximum(out, np.where(cand, norm + tier, -np.inf), out=out)
        return out
