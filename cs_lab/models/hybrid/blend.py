"""Weighted blend of several models' per-query normalised scores."""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
from pydantic import Field, ValidationInfo, field_validator

from cs_lab.data.queries import Queries
from cs_lab.models.config import ModelConfig
from cs_lab.models.hybrid.composite import Composite, as_named, check_names, normalise_sub_config
from cs_lab.models.hybrid.normalize import normalise_rows
from cs_lab.models.registry import register


class BlendConfig(ModelConfig):
    model: Literal["blend"] = "blend"
    models: dict[str, dict[str, Any]]
    """Sub-model configs by name: ``{"als": {"model": "als", ...}, "pop": {"model": "popularity"}}``
    (a list is accepted and named "0", "1", ...)."""
    weights: dict[str, float] = Field(default_factory=dict, validate_default=True)
    """Weight per sub-model name (>= 0); a name left out weighs 1.0."""
    normalize: Literal["minmax", "rank"] = "minmax"
    """Per-query normalisation of each model's scores over its candidates (cart items removed)."""

    @field_validator("models", mode="before")
    @classmethod
    def _sub_models(cls, v: Any, info: ValidationInfo) -> Any:
        v = as_named(v)
        if not isinstance(v, dict):
            return v  # the type check reports it
        if not v:
            raise ValueError("give at least one model")
        check_names(list(map(str, v)), "models")
        seed = info.data.get("seed", 0)
        return {str(k): normalise_sub_config(m, f"models.{k}", seed) for k, m in v.items()}

    @field_validator("weights")
    @classmethod
    def _full_weights(cls, v: dict[str, float], info: ValidationInfo) -> dict[str, float]:
        models = info.data.get("models")
        if models is None:
            return v  # models invalid: already reported
        unknown = sorted(set(v) - set(models))
        if unknown:
            raise ValueError(f"{unknown} name no model (models: {list(models)})")
        full = {k: float(v.get(k, 1.0)) for k in models}
        if any(w < 0 or not np.isfinite(w) for w in full.values()):
            raise ValueError(f"weights must be finite and >= 0, got {full}")
        if not any(w > 0 for w in full.values()):
            raise ValueError("at least one weight must be > 0")
        return full


@register
class Blend(Composite):
    """score(item) = sum over models of weight x normalised score, over each query's candidates.

    Normalisation (per query, over the model's candidates with the cart removed): ``minmax`` maps
    the best candidate to 1 and the worst to 0; ``rank`` gives rank / n (best 1, worst 1/n, ties
    averaged). An item that is not a candidate of a model gets 0 from it. The candidates of the
    blend are the union of the candidates of the models with a positive weight.
    """

    config_class = BlendConfig

    def _score(self, queries: Queries) -> np.ndarray:
        total = np.zeros((len(queries), self.n_items))
        any_cand = np.zeros(total.shape, dtype=bool)
        for name, w in self.config.weights.items():
            if w <= 0:
                continue
            norm, cand = normalise_rows(self._sub_scores(name, queries), self.config.normalize)
            norm *= w
            total += norm
            any_cand |= cand
        total[~any_cand] = -np.inf
        return total
