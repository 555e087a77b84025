"""Item-item nearest neighbours via implicit.nearest_neighbours (cosine, BM25 or TF-IDF weighting).

The item x item similarity matrix (each item's ``neighbours`` most similar items) is computed by
implicit and copied out; a cart is scored as the sum of its items' similarity rows
(``carts @ similarity``, the same sum implicit's ``recommend`` computes). Items that no cart item
reaches are not candidates (-inf). Queries with no reachable item (empty cart, or cart items
without neighbours) get the popularity fallback, or nothing with fallback="none". Customers are
not used: this is a pure item-to-item model. It has no iterations, so the per-iteration hook is
never called.
"""

from __future__ import annotations

import warnings
from typing import Any, Literal

import numpy as np
import scipy.sparse as sp
from pydantic import Field

from cs_lab.data.interactions import Interactions
from cs_lab.data.queries import Queries
from cs_lab.models.base import Recommender, sparse_from_state, sparse_state
from cs_lab.models.config import ModelConfig
from cs_lab.models.implicit_cf._deps import blas_single_thread, require
from cs_lab.models.implicit_cf.factors import Fallback
from cs_lab.models.implicit_cf.matrices import TrainOn, training_matrix
from cs_lab.models.registry import register


class ItemKNNConfig(ModelConfig):
    model: Literal["item_knn"] = "item_knn"
    weighting: Literal["cosine", "bm25", "tfidf"] = "cosine"
    neighbours: int = Field(20, ge=1, description="K: similar items kept per item")
    bm25_k1: float = Field(1.2, ge=0.0, description="BM25 K1 (weighting='bm25' only)")
    bm25_b: float = Field(0.75, ge=0.0, le=1.0, description="BM25 B (weighting='bm25' only)")
    train_on: TrainOn = "customers"
    fallback: Fallback = "popularity"
    num_threads: int = Field(0, ge=0)


@register
class ItemKNN(Recommender):
    """Sum of item-item similarities from the cart items (see module docstring)."""

    config_class = ItemKNNConfig

    def _library_model(self, nn: Any) -> Any:
        c = self.config
        if c.weighting == "bm25":
            return nn.BM25Recommender(K=c.neighbours, K1=c.bm25_k1, B=c.bm25_b, num_threads=c.num_threads)
        if c.weighting == "tfidf":
            return nn.TFIDFRecommender(K=c.neighbours, num_threads=c.num_threads)
        return nn.CosineRecommender(K=c.neighbours, num_threads=c.num_threads)

    def _fit(self, train: Interactions) -> None:
        nn = require("implicit.nearest_neighbours", "implicit", "item_knn")
        matrix = training_matrix(train, self.config.train_on, "linear")
        with blas_single_thread(nn), warnings.catch_warnings():
            # implicit's own weighting hands its kNN a COO matrix and then warns about it
            warnings.filterwarnings("ignore", message="Method expects CSR input")
            lib = self._library_model(nn)
            lib.fit(matrix, show_progress=False)
        sim = sp.csr_matrix(lib.similarity, dtype=np.float64, copy=True)
        sim.sort_indices()
        self.similarity_ = sim
        self.popularity_ = np.asarray(train.item_popularity(), dtype=np.float64)

    def _score(self, queries: Queries) -> np.ndarray:
        n = len(queries)
        prod = (sp.csr_matrix(queries.carts, dtype=np.float64) @ self.similarity_).tocsr()
        s = np.full((n, self.n_items), -np.inf)
        rows = np.repeat(np.arange(n), np.diff(prod.indptr))
        s[rows, prod.indices] = prod.data
        none = np.diff(prod.indptr) == 0
        if none.any() and self.config.fallback == "popularity":
            s[none] = np.where(self.popularity_ > 0, self.popularity_, -np.inf)
        return s

    def _state(self) -> dict[str, np.ndarray]:
        return {**sparse_state("similarity", self.similarity_), "popularity": self.popularity_}

    def _set_state(self, arrays: dict[str, np.ndarray]) -> None:
        self.similarity_ = sparse_from_state("similarity", arrays)
        self.popularity_ = arrays["popularity"]
