"""Logistic matrix factorisation (Johnson 2014) via implicit.cpu.lmf; carts folded in under its loss."""

from __future__ import annotations

from typing import Literal

import numpy as np
import scipy.sparse as sp
from pydantic import Field

from cs_lab.data.interactions import Interactions
from cs_lab.models.implicit_cf.factors import (
    THREADS_DOC, FactorConfig, FoldInFields, ImplicitFactorRecommender, LossFoldInRecommender)
from cs_lab.models.implicit_cf.matrices import Confidence, training_matrix, transform_values
from cs_lab.models.registry import register


class LMFConfig(FoldInFields, FactorConfig):
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
class LMF(LossFoldInRecommender, ImplicitFactorRecommender):
    """Logistic MF with user and item biases (Adagrad). The values are the positive weights c_ui.

    implicit's layout is item[:, -2] = item bias (users hold 1 there) and user[:, -1] = user bias
    (items hold 1); the user bias does not change a ranking, so we keep the F factors and the item
    bias. A cart (or, in basket mode, a customer's history) C with weights c_i (1 for a cart item)
    is folded in under implicit's per-user objective, item factors fixed, solving for the vector x
    and the user bias b_u (s_k = x.y_k + b_k + b_u):

        max  sum_{i in C} c_i log sigmoid(s_i) + m E_j[ log(1 - sigmoid(s_j)) ] - reg/2 (|x|^2 + b_u^2)

    j drawn in proportion to the item's training rows and m = min(F + 2, |C| * neg_prop) negatives,
    as implicit 0.7's lmf_update draws them per user and epoch (fold_in.py).
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
        self._trained_rows = lib.user_factors[:, :f]   # customers or baskets: the fold-in's calibration
        self._set_factors(lib.item_factors[:, :f], lib.item_factors[:, f], users, train)

    def _negative_weights(self) -> np.ndarray:
        return self.item_counts_

    def _fold_in_setup(self, rows, history):
        c = self.config
        weights = sp.csr_matrix(rows, dtype=np.float64, copy=True)
        weights.eliminate_zeros()
        # a cart holds each item once: value 1 under every confidence transform; histories hold counts
        src = weights.data if history else np.ones_like(weights.data)
        weights.data = transform_values(src, c.confidence).astype(np.float64)
        mass = np.minimum(c.factors + 2, np.diff(weights.indptr) * c.neg_prop).astype(np.float64)
        return weights, dict(loss="pointwise", regularization=c.regularization, negative_mass=mass,
                             user_bias=True)
