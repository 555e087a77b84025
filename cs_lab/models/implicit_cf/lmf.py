"""Logistic matrix factorisation (Johnson 2014) via implicit.cpu.lmf; carts as mean item factors."""

from __future__ import annotations

from typing import Literal

import numpy as np
import scipy.sparse as sp
from pydantic import Field

from cs_lab.data.interactions import Interactions
from cs_lab.models.implicit_cf.factors import THREADS_DOC, FactorConfig, ImplicitFactorRecommender
from cs_lab.models.implicit_cf.matrices import Confidence, row_mean, training_matrix
from cs_lab.models.registry import register


class LMFConfig(FactorConfig):
    model: Literal["lmf"] = "lmf"
    factors: int = Field(30, ge=1, le=4096)
    regularization: float = Field(0.6, ge=0.0)
    iterations: int = Field(30, ge=1)
    learning_rate: float = Field(1.0, gt=0.0)
    neg_prop: int = Field(30, ge=1, description="negative samples per positive")
    confidence: Confidence = "linear"
    # Hogwild SGD: with several threads the factors differ from run to run; 1 = reproducible
    num_threads: int = Field(1, ge=0, description=THREADS_DOC)


@register
class LMF(ImplicitFactorRecommender):
    """Logistic MF with user and item biases (Adagrad). The values are the positive weights c_ui.

    implicit's layout is item[:, -2] = item bias (users hold 1 there) and user[:, -1] = user bias
    (items hold 1); the user bias does not change a ranking, so we keep the F factors and the item
    bias. A cart is folded in as the mean of its items' factors.
    """

    config_class = LMFConfig

    library_module = "implicit.cpu.lmf"

    def _library_model(self, module):
        c = self.config
        return module.LogisticMatrixFactorization(
            factors=c.factors, learning_rate=c.learning_rate, regularization=c.regularization,
            dtype=np.float32, iterations=c.iterations, neg_prop=c.neg_prop, num_threads=c.num_threads,
            random_state=c.seed)

    def _matrix(self, train: Interactions) -> sp.csr_matrix:
        return training_matrix(train, self.config.train_on, self.config.confidence)

    def _take(self, lib, train: Interactions) -> None:
        f = self.config.factors
        users = lib.user_factors[:, :f] if self.config.train_on == "customers" else None
        self._set_factors(lib.item_factors[:, :f], lib.item_factors[:, f], users, train)

    def _fold_in_carts(self, carts: sp.csr_matrix) -> np.ndarray:
        return row_mean(carts, self.item_factors_)
