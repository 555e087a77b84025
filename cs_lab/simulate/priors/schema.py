"""``Prior``: one estimated rate with its uncertainty; ``PriorSet``: the merged collection."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from cs_lab.errors import ConfigError

DATA_DIR = Path(__file__).parent / "data"
Distribution = Literal["normal", "beta", "lognormal", "fixed"]


class Prior(BaseModel):
    """An estimated rate.

    name          dotted name, e.g. ``slot_examination.2`` or ``exposure.display_lift``.
    value         point estimate.
    se            standard error of ``value`` (0 for ``fixed``).
    ci_low/ci_high  the reported (1 - alpha) interval (95% unless ``note`` says otherwise).
    distribution  how ``draw`` samples it: ``normal`` (value, se); ``beta`` (mean value, sd se: a
                  rate in (0, 1)); ``lognormal`` (median value, sd of log = se / value: a positive
                  ratio); ``fixed`` (always value: a stated assumption with no estimate).
    source        where the number comes from (dataset, tables, method), in words.
    n             the number of units it was estimated from (None for an assumption).
    identifies    what the estimate identifies, and what it does not (transportability).
    assumption    True when nothing in the data informs it.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1)
    value: float
    se: float = Field(0.0, ge=0.0)
    ci_low: float
    ci_high: float
    distribution: Distribution = "normal"
    source: str = Field(min_length=1)
    n: int | None = None
    identifies: str = ""
    assumption: bool = False
    note: str = ""

    @model_validator(mode="after")
    def _check(self) -> "Prior":
        if not self.ci_low <= self.value <= self.ci_high:
            raise ValueError(f"{self.name}: value {self.value} outside its interval [{self.ci_low}, {self.ci_high}]")
        if self.distribution == "beta" and not (0.0 < self.value < 1.0):
            raise ValueError(f"{self.name}: a beta prior needs 0 < value < 1, got {self.value}")
        if self.distribution == "beta" and self.se ** 2 >= self.value * (1 - self.value):
            raise ValueError(f"{self.name}: se {self.se} too large for a beta with mean {self.value}")
        if self.distribution == "lognormal" and self.value <= 0:
            raise ValueError(f"{self.name}: a lognormal prior needs value > 0, got {self.value}")
        return self

    def draw(self, rng: np.random.Generator, size: int) -> np.ndarray:
        """``size`` draws from the prior's sampling distribution (the first is NOT the estimate)."""
        if self.distribution == "fixed" or self.se == 0.0:
            return np.full(size, self.value)
        if self.distribution == "normal":
            return rng.normal(self.value, self.se, size)
        if self.distribution == "lognormal":
            return self.value * np.exp(rng.normal(0.0, self.se / self.value, size))
        m, v = self.value, self.se ** 2
        common = m * (1 - m) / v - 1
        return rng.beta(m * common, (1 - m) * common, size)


class PriorSet:
    """Priors by name. ``[name]`` raises a ConfigError naming what is available."""

    def __init__(self, priors: list[Prior]) -> None:
        self._by_name: dict[str, Prior] = {}
        for p in priors:
            if p.name in self._by_name:
                raise ConfigError(f"prior {p.name!r} is defined twice")
            self._by_name[p.name] = p

    def __getitem__(self, name: str) -> Prior:
        try:
            return self._by_name[name]
        except KeyError:
            raise ConfigError(f"no prior named {name!r}; known: {', '.join(sorted(self._by_name)) or '(none)'}") from None

    def __contains__(self, name: str) -> bool:
        return name in self._by_name

    def __iter__(self):
        return iter(self._by_name.values())

    def __len__(self) -> int:
        return len(self._by_name)

    def names(self) -> list[str]:
        return sorted(self._by_name)

    def with_prefix(self, prefix: str) -> list[Prior]:
        return [p for n, p in sorted(self._by_name.items()) if n.startswith(prefix)]


def _read(path: Path) -> list[Prior]:
    try:
        raw = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read priors ({exc})") from None
    if not isinstance(raw, list):
        raise ConfigError(f"{path}: priors must be a JSON list of objects")
    out = []
    for i, item in enumerate(raw):
        try:
            out.append(Prior.model_validate(item))
        except ValidationError as exc:
            raise ConfigError(f"{path}: prior #{i}: {exc.errors()[0]['msg']}") from None
    return out


def load_priors(*paths: Path | str) -> PriorSet:
    """Merge the given JSON files (default: every ``priors/data/*.json`` shipped with cs_lab)."""
    files = [Path(p) for p in paths] if paths else sorted(DATA_DIR.glob("*.json"))
    return PriorSet([p for f in files for p in _read(f)])


def save_priors(priors: list[Prior], path: Path | str) -> Path:
    """Write ``priors`` as a JSON list, atomically (temp file + rename)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w") as fh:
            json.dump([p.model_dump(mode="json") for p in priors], fh, indent=2)
            fh.write("\n")
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
