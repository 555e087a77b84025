"""Shared plumbing of models built from other models (fallback, blend, guarded).

Sub-model configs are plain dicts inside the parent config, so ``get_params`` flattens them to
dotted keys (``models.0.model``, ``inner.factors``) and ``from_params`` rebuilds them. Each is
validated and normalised on construction: it is built through ``registry.build`` (so a typo in a
nested key fails at once, naming the path) and stored as its full dump, defaults included. A
sub-config that gives no ``seed`` inherits the parent's.

Persistence: a composite saves its sub-models' fitted arrays inside its own ``state.npz`` under
the sub-model's name (``inner.popularity``, ``0.history.data``, ...), so ``Recommender.load``
restores the whole tree from one folder with no extra files and no pickle. Sub-models share the
parent's vocabularies (they are fitted on the same training data).
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np

from cs_lab.data.interactions import Interactions
from cs_lab.data.queries import Queries
from cs_lab.models.base import Recommender

NAME = re.compile(r"^[A-Za-z0-9_]+$")


def normalise_sub_config(value: Any, where: str, seed: int | None) -> dict[str, Any]:
    """A sub-model config as its full JSON dump; raises ValueError (becomes a ConfigError) when invalid."""
    from cs_lab.models import registry

    if not isinstance(value, dict):
        raise ValueError(f"{where} must be a model config mapping with a 'model' key, got {type(value).__name__}")
    data = dict(value)
    if seed is not None and "seed" not in data:
        data["seed"] = seed
    return registry.build(data, where=where).config.model_dump(mode="json")


def as_named(value: Any) -> Any:
    """A list of sub-configs becomes {"0": ..., "1": ...}; a mapping is kept."""
    if isinstance(value, (list, tuple)):
        return {str(i): v for i, v in enumerate(value)}
    return value


def check_names(names: list[str], field: str) -> None:
    for n in names:
        if not NAME.match(str(n)):
            raise ValueError(f"{field}: sub-model name {n!r} must be letters, digits or '_' (it becomes a dotted "
                             "parameter key)")


class Composite(Recommender):
    """Base for models that own named sub-models. Subclasses define ``_sub_configs()``."""

    def _sub_configs(self) -> dict[str, dict[str, Any]]:
        """Named sub-model configs; by default the config's ``models`` mapping."""
        return dict(self.config.models)

    def _fit(self, train: Interactions) -> None:
        self._fit_subs(train)

    def _build_subs(self) -> dict[str, Recommender]:
        from cs_lab.models import registry

        return {name: registry.build(cfg, where=f"{self.name}.{name}") for name, cfg in self._sub_configs().items()}

    def _fit_subs(self, train: Interactions) -> None:
        self.subs_ = {name: m.fit(train) for name, m in self._build_subs().items()}

    def _sub_scores(self, name: str, queries: Queries) -> np.ndarray:
        """The raw score block of one sub-model with the cart items already set to -inf."""
        s = np.asarray(self.subs_[name]._score(queries), dtype=np.float64)
        if s.base is not None or not s.flags.writeable:   # a view of the sub-model's state: never write into it
            s = s.copy()
        if s.shape != (len(queries), self.n_items):
            raise RuntimeError(f"sub-model {name!r} ({type(self.subs_[name]).__name__}) returned shape {s.shape}")
        c = queries.carts.tocoo()
        s[c.row, c.col] = -np.inf
        return s

    def _state(self) -> dict[str, np.ndarray]:
        out: dict[str, np.ndarray] = {}
        for name, m in self.subs_.items():
            if type(m).save is not Recommender.save or type(m).load.__func__ is not Recommender.load.__func__:
                raise TypeError(f"sub-model {name!r} ({type(m).__name__}) overrides save/load; a composite can only "
                                "persist sub-models whose whole fitted state is in _state()")
            for k, v in m._state().items():
                out[f"{name}.{k}"] = v
        return out

    def _set_state(self, arrays: dict[str, np.ndarray]) -> None:
        subs = self._build_subs()
        for name, m in subs.items():
            m.items_, m.customers_ = self.items_, self.customers_
            prefix = f"{name}."
            m._set_state({k[len(prefix):]: v for k, v in arrays.items() if k.startswith(prefix)})
        self.subs_ = subs
