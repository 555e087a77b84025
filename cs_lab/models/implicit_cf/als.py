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
from cs_lab.spark.settings import EngineFields


class ALSConfig(EngineFields, FactorConfig):
    """engine "local" fits with implicit; "spark" with Spark ML's ALS (cs_lab/spark/als.py: its
    objective differs from implicit's; carts are folded in under Spark's objective)."""

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

    def _fit(self, train: Interactions) -> None:
        if self.config.engine != "spark":
            self.spark_reg_param_ = None
            super()._fit(train)
            return
        from cs_lab.spark.als import als_from_lines

        self._set_common(train, self._matrix(train))
        fitted = als_from_lines(train, self.config)
        self.spark_reg_param_ = fitted.reg_param
        users = fitted.user_factors if self.config.train_on == "customers" else None
        self._set_factors(fitted.item_factors, None, users, train)
        if self._hooked:  # Spark trains all iterations in one call: one report at the end
            self._report_iteration(self.config.iterations - 1)

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

    def _fold_in(self, values: sp.csr_matrix) -> np.ndarray:
        """Exact vectors for rows of confidence-transformed values (a fresh float64 CSR), under the
        objective the factors were trained with: implicit's (confidence alpha * r) or Spark's."""
        if self.config.engine == "spark":
            from cs_lab.spark.als import fold_in

            return fold_in(values, self.item_factors_, self.spark_reg_param_, self.config.alpha, self.yty)
        values.data = (self.config.alpha * values.data.astype(np.float32)).astype(np.float64)
        return als_fold_in(values, self.item_factors_, self.config.regularization, self.yty)

    def _fold_in_carts(self, carts: sp.csr_matrix) -> np.ndarray:
        v = sp.csr_matrix(carts, dtype=np.float64, copy=True)
        v.data[:] = transform_values(np.ones(1), self.config.confidence)[0]
        return self._fold_in(v)

    def _fold_in_history(self, customer_items: sp.csr_matrix) -> np.ndarray:
        v = sp.csr_matrix(customer_items, dtype=np.float64, copy=True)
        v.data = transform_values(v.data, self.config.confidence).astype(np.float64)
        return self._fold_in(v)

    # Spark's penalty scale is part of the fitted state (it depends on the training data)
    def _state(self):
        state = super()._state()
        if self.config.engine == "spark":
            state["spark_reg_param"] = np.asarray(self.spark_reg_param_, dtype=np.float64)
        return state

    def _set_state(self, arrays) -> None:
        super()._set_state(arrays)
        self.spark_reg_param_ = float(arrays["spark_reg_param"]) if "spark_reg_param" in arrays else None
