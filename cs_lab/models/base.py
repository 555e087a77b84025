"""The Recommender contract every model implements.

    model = registry.build({"model": "als", "factors": 64})
    model.fit(train)                                   # Interactions -> self
    ids, scores = model.recommend(queries, k=10)       # (n, k) int64 / float64, -1 / NaN padded
    model.get_params() / Model.from_params(flat)       # flat dotted dict
    model.save(dir) / Recommender.load(dir)            # json + npz, never pickle

Subclasses implement ``_fit(train)`` and ``_score(queries)`` (a dense (batch, n_items)
score block, -inf for items that are not candidates), plus ``_state``/``_set_state``
for persistence. The base class does the checks, batching, masking of cart and
excluded items, top-k selection and padding.
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from pathlib import Path
from typing import Any, Callable, ClassVar

import numpy as np
import scipy.sparse as sp

from cs_lab._progress import bar
from cs_lab.data.interactions import Interactions
from cs_lab.data.queries import Queries
from cs_lab.data.vocab import Vocabulary
from cs_lab.errors import DataError, NotFittedError
from cs_lab.models._topk import top_k
from cs_lab.models.config import ModelConfig, flatten, unflatten, validate_config

IterationCallback = Callable[[int, "Recommender"], None]
"""Called as callback(iteration, model) after each training iteration/epoch; may raise to stop
(e.g. optuna.TrialPruned)."""

# max floats in one dense score block: 16 MB as float64, under glibc's largest mmap threshold
# (32 MB), so blocks reuse heap memory instead of faulting in a fresh mapping each time (128 MB
# blocks cost The Complete Journey's basket models about 3x the system time)
SCORE_BLOCK = 1 << 21


class Recommender(ABC):
    config_class: ClassVar[type[ModelConfig]] = ModelConfig
    # True when the fitted result depends on the seed (random initialisation, sampling): the runner
    # then fits it once per seed (spec `seeds`); deterministic models are fitted once
    stochastic: ClassVar[bool] = False

    def __init__(self, config: ModelConfig | None = None, **params: Any) -> None:
        if config is None:
            config = validate_config(self.config_class, params)
        elif params:
            config = validate_config(self.config_class, {**config.model_dump(), **params})
        if not isinstance(config, self.config_class):
            raise TypeError(f"{type(self).__name__} needs a {self.config_class.__name__}, got {type(config).__name__}")
        self.config = config
        self.items_: Vocabulary | None = None
        self.customers_: Vocabulary | None = None

    # -- construction -----------------------------------------------------
    @classmethod
    def from_config(cls, data: dict[str, Any], where: str = "model config") -> "Recommender":
        return cls(validate_config(cls.config_class, data, where))

    @property
    def name(self) -> str:
        return self.config.model

    def get_params(self) -> dict[str, Any]:
        """The config as a flat dotted dict of simple types (Optuna trial params, MLflow params)."""
        return flatten(self.config.model_dump(mode="json"))

    @classmethod
    def from_params(cls, params: dict[str, Any]) -> "Recommender":
        from cs_lab.models import registry

        data = unflatten(params)
        target = registry.get(data["model"]) if cls is Recommender else cls
        return target.from_config(data)

    # -- training -----------------------------------------------------------
    def fit(self, train: Interactions, *, on_iteration: IterationCallback | None = None) -> "Recommender":
        if train.n_items == 0:
            raise DataError("cannot fit on training data with no items")
        self.items_, self.customers_ = train.items, train.customers
        self._on_iteration = on_iteration
        try:
            self._fit(train)
        finally:
            self._on_iteration = None
        return self

    def _report_iteration(self, iteration: int) -> None:
        cb = getattr(self, "_on_iteration", None)
        if cb is not None:
            cb(iteration, self)

    def _wants_iteration(self, iteration: int) -> bool:
        """Whether the ``on_iteration`` hook uses this iteration. A hook with a ``wants(iteration)``
        attribute says so (the tuning objective scores only a few iterations); any other hook is
        called at every one. Models skip copying their state out for the iterations not wanted."""
        cb = getattr(self, "_on_iteration", None)
        if cb is None:
            return False
        wants = getattr(cb, "wants", None)
        return True if wants is None else bool(wants(iteration))

    @abstractmethod
    def _fit(self, train: Interactions) -> None: ...

    @property
    def is_fitted(self) -> bool:
        return self.items_ is not None

    def _check_fitted(self) -> None:
        if not self.is_fitted:
            raise NotFittedError(f"{type(self).__name__} is not fitted: call fit(train) or load(dir) first")

    @property
    def n_items(self) -> int:
        self._check_fitted()
        return len(self.items_)

    # -- recommending -------------------------------------------------------
    @abstractmethod
    def _score(self, queries: Queries) -> np.ndarray:
        """Scores (len(queries), n_items), float32 or float64; higher is better; -inf for
        non-candidates. Must return a fresh array (the base class writes into it)."""

    def recommend(self, queries: Queries, k: int, exclude: sp.spmatrix | None = None
                  ) -> tuple[np.ndarray, np.ndarray]:
        """Top-``k`` items per query, never an item in the cart (nor in ``exclude``, same shape).

        Returns (ids, scores): int64 and float64 arrays of shape (n, k); rows with fewer than k
        candidates are padded with -1 and NaN.
        """
        self._check_fitted()
        if k <= 0:
            raise ValueError(f"k must be positive, got {k}")
        n_items = self.n_items
        if queries.n_items != n_items:
            raise DataError(f"queries are over {queries.n_items} items but the model knows {n_items}; "
                            "build them with the training vocabulary (Queries.from_frames(..., model.items_))")
        if exclude is not None and exclude.shape != queries.carts.shape:
            raise DataError(f"exclude has shape {exclude.shape}, expected {queries.carts.shape}")
        n = len(queries)
        ids = np.full((n, k), -1, dtype=np.int64)
        scores = np.full((n, k), np.nan, dtype=np.float64)
        block = max(1, SCORE_BLOCK // max(n_items, 1))
        ex = exclude.tocsr() if exclude is not None else None
        with bar(-(-n // block), f"recommend {type(self).__name__}", "batch", min_total=8) as progress:
            for start in range(0, n, block):
                self._recommend_block(queries, ex, start, min(n, start + block), k, ids, scores)
                progress.update()
        return ids, scores

    def _recommend_block(self, queries: Queries, ex, start: int, stop: int, k: int, ids: np.ndarray,
                         scores: np.ndarray) -> None:
        """Score, mask (cart, ``ex``) and rank queries ``start:stop`` into ``ids`` / ``scores``."""
        q = queries[start:stop]
        s = self._score(q)
        if not (isinstance(s, np.ndarray) and s.dtype in (np.float32, np.float64)):
            s = np.asarray(s, dtype=np.float64)
        if s.shape != (stop - start, self.n_items):
            raise RuntimeError(f"{type(self).__name__}._score returned shape {s.shape}")
        _mask(s, q.carts)
        if ex is not None:
            _mask(s, ex[start:stop])
        ids[start:stop], scores[start:stop] = top_k(s, k)

    # -- persistence --------------------------------------------------------
    def _state(self) -> dict[str, np.ndarray]:
        """Fitted arrays to save (override)."""
        return {}

    def _set_state(self, arrays: dict[str, np.ndarray]) -> None:
        """Restore fitted arrays (override)."""

    def save(self, path: str | Path) -> Path:
        """Write config.json, vocabularies and state.npz into ``path`` (no pickle)."""
        self._check_fitted()
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        (path / "config.json").write_text(json.dumps(self.config.model_dump(mode="json"), indent=2))
        self.items_.save(path / "items.json")
        self.customers_.save(path / "customers.json")
        state = {k: _to_savable(v) for k, v in self._state().items()}
        np.savez(path / "state.npz", allow_pickle=False, **state)
        return path

    @classmethod
    def load(cls, path: str | Path) -> "Recommender":
        from cs_lab.models import registry

        path = Path(path)
        cfg = json.loads((path / "config.json").read_text())
        model = registry.get(cfg["model"]).from_config(cfg, where=str(path / "config.json"))
        model.items_ = Vocabulary.load(path / "items.json")
        model.customers_ = Vocabulary.load(path / "customers.json")
        with np.load(path / "state.npz", allow_pickle=False) as z:
            arrays = {k: z[k] for k in z.files}
        model._set_state(arrays)
        return model

    def __repr__(self) -> str:
        params = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items() if k != "model")
        return f"{type(self).__name__}({params})"


def _to_savable(v: Any) -> np.ndarray:
    if sp.issparse(v):
        raise TypeError("save sparse matrices as their data/indices/indptr arrays (see sparse_state)")
    return np.asarray(v)


def sparse_state(prefix: str, m: sp.csr_matrix) -> dict[str, np.ndarray]:
    """A CSR matrix as plain arrays for ``_state``."""
    m = m.tocsr()
    return {f"{prefix}.data": m.data, f"{prefix}.indices": m.indices, f"{prefix}.indptr": m.indptr,
            f"{prefix}.shape": np.asarray(m.shape)}


def sparse_from_state(prefix: str, arrays: dict[str, np.ndarray]) -> sp.csr_matrix:
    return sp.csr_matrix((arrays[f"{prefix}.data"], arrays[f"{prefix}.indices"], arrays[f"{prefix}.indptr"]),
                         shape=tuple(arrays[f"{prefix}.shape"]))


def _mask(scores: np.ndarray, m: sp.csr_matrix) -> None:
    m = m.tocoo()
    scores[m.row, m.col] = -np.inf
