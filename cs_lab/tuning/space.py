"""Search spaces declared in YAML, turned into Optuna suggestions in this one place.

    search:
      factors: {type: int, low: 16, high: 128, log: true}
      regularization: {type: float, low: 1.0e-4, high: 1.0, log: true}
      loss: {type: categorical, choices: [warp, bpr]}
      inner.factors: {type: int, low: 8, high: 64, step: 8}    # dotted keys reach nested configs

Keys are the model's flat dotted parameter names (Recommender.get_params()).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, model_validator

from cs_lab.errors import ConfigError


class _Dim(BaseModel):
    model_config = ConfigDict(extra="forbid")


class IntDim(_Dim):
    type: Literal["int"]
    low: int
    high: int
    step: int = 1
    log: bool = False

    @model_validator(mode="after")
    def _check(self):
        if self.low > self.high:
            raise ValueError(f"low ({self.low}) > high ({self.high})")
        if self.log and (self.low <= 0 or self.step != 1):
            raise ValueError("log scale needs low > 0 and step 1")
        return self

    def suggest(self, trial, name: str) -> int:
        return trial.suggest_int(name, self.low, self.high, step=self.step, log=self.log)


class FloatDim(_Dim):
    type: Literal["float"]
    low: float
    high: float
    log: bool = False
    step: float | None = None

    @model_validator(mode="after")
    def _check(self):
        if self.low > self.high:
            raise ValueError(f"low ({self.low}) > high ({self.high})")
        if self.log and self.low <= 0:
            raise ValueError("log scale needs low > 0")
        return self

    def suggest(self, trial, name: str) -> float:
        return trial.suggest_float(name, self.low, self.high, log=self.log, step=self.step)


class CategoricalDim(_Dim):
    type: Literal["categorical"]
    choices: list[Any] = Field(min_length=1)

    def suggest(self, trial, name: str):
        return trial.suggest_categorical(name, self.choices)


Dimension = Annotated[Union[IntDim, FloatDim, CategoricalDim], Field(discriminator="type")]


class SearchSpace(BaseModel):
    """A mapping from flat dotted parameter names to dimensions."""

    model_config = ConfigDict(extra="forbid")
    dims: dict[str, Dimension] = Field(default_factory=dict)

    @classmethod
    def from_dict(cls, d: dict[str, Any] | None) -> "SearchSpace":
        return cls.model_validate({"dims": d or {}})

    def suggest(self, trial) -> dict[str, Any]:
        """Ask ``trial`` for a value of every dimension; returns {dotted name: value}."""
        return {name: dim.suggest(trial, name) for name, dim in self.dims.items()}

    def check_against(self, params: dict[str, Any], where: str) -> None:
        """Every searched name must be a parameter of the model."""
        unknown = [n for n in self.dims if n not in params]
        if unknown:
            raise ConfigError(f"{where}: searched parameter(s) {unknown} are not parameters of the model "
                              f"(known: {sorted(params)})")

    def __len__(self) -> int:
        return len(self.dims)
