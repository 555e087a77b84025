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

    def nearest(self, value):
        """The value of this dimension nearest to ``value`` (bounds, then the step grid)."""
        v = min(max(float(value), self.low), self.high)
        top = self.low + (self.high - self.low) // self.step * self.step   # highest value on the grid
        return int(min(self.low + round((v - self.low) / self.step) * self.step, top))


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

    def nearest(self, value):
        v = min(max(float(value), self.low), self.high)
        if self.step is not None:
            v = min(self.low + round((v - self.low) / self.step) * self.step, self.high)
        return v


class CategoricalDim(_Dim):
    type: Literal["categorical"]
    choices: list[Any] = Field(min_length=1)

    def suggest(self, trial, name: str):
        return trial.suggest_categorical(name, self.choices)

    def nearest(self, value):
        if value not in self.choices:
            raise ValueError(f"the model's default {value!r} is not among the choices {self.choices}; "
                             f"add it (the default configuration runs as the first trial)")
        return value


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

    def default_point(self, params: dict[str, Any], where: str) -> tuple[dict[str, Any], dict[str, tuple]]:
        """The model's default configuration as a point of the space: ``params`` (the model's
        parameters) restricted to the searched names. A numeric default outside the range (or off
        the step grid) is moved to the nearest value of the space and returned in the second dict
        ({name: (default, used)}); a categorical default not among the choices is a ConfigError."""
        point, moved = {}, {}
        for name, dim in self.dims.items():
            try:
                v = dim.nearest(params[name])
            except ValueError as exc:
                raise ConfigError(f"{where}.{name}: {exc}") from None
            point[name] = v
            if v != params[name]:
                moved[name] = (params[name], v)
        return point, moved

    def __len__(self) -> int:
        return len(self.dims)
