"""Implicit-feedback ALS (Hu, Koren & Volinsky 2008) via implicit.cpu.als, carts folded in exactly."""

from __future__ import annotations

from typing import Literal

import numpy as np
import scipy.sparse as sp
from pydantic import Field

from cs_lab.data.interactions import Interactions
from cs_lab.models.implicit_cf.factors import FactorConfig, ImplicitFactorRecommender
from cs_lab.models.implicit_cf.matrices import Confidence, als_fold_in, training_matrix, transform_values
from cs_lab.models.registry import register


class ALSConfig(FactorConfig):
    model: Literal["als"] = "als"
    alpha: float = Field(1.0, gt=0.0, description="confidence = alpha * value (implicit's convention)")
    confidence: Confidence = "linear"
    use_cg: bool = True


@register
class ALS(ImplicitFactorRecommender):
    """Alternating least squares on the customer x item (or basket x item) matrix.

    A cart is folded in by the exact least-squares solve implicit's ``recalculate_user`` does,
    with each cart item at confidence ``alpha`` (a cart holds each item once).
    """

    config_class = ALSConfig

    library_module = "implicit.cpu.als"

    def _library_model(self, module):
        c = self.config
        return module.AlternatingLeastSquares(
            factors=c.factors, regularization=c.regularization, alpha=c.alpha, dtype=np.float32,
            use_native=True, use_cg=c.use_cg, iterations=c.iterations, calculate_training_loss=False,
            num_threads=c.num_threads, random_state=c.seed)

    def _matrix(self, train: Interactions) -> sp.csr_matrix:
        return training_matrix(train, self.config.train_on, self.config.confidence)

    def _take(self, lib, train: Interactions) -> None:
        users = lib.user_factors if self.config.train_on == "customers" else None
        self._set_factors(lib.item_factors, None, users, train)

    def _invalidate_cache(self) -> None:
        super()._invalidate_cache()
        self._yty = None

    @property
    def yty(self) -> np.ndarray:
        if getattr(self, "_yty", None) is None:
            y = self.item_factors_.astype(np.float64)
            self._yty = y.T @ y
        return self._yty

    def _fold_in_carts(self, carts: sp.csr_matrix) -> np.ndarray:
        conf = sp.csr_matrix(carts, dtype=np.float64, copy=True)
        conf.data[:] = self.config.alpha * transform_values(np.ones(1), self.config.confidence)[0]
        return als_fold_in(conf, self.item_factors_, self.config.regularization, self.yty)

    def _fold_in_history(self, customer_items: sp.csr_matrix) -> np.ndarray:
        conf = sp.csr_matrix(customer_items, dtype=np.float64, copy=True)
        conf.data = self.config.alpha * transform_values(conf.data, self.config.confidence).astype(np.float64)
        return als_fold_in(conf, self.item_factors_, self.config.regularization, self.yty)
