"""Bayesian Personalized Ranking (Rendle et al. 2009) via implicit.cpu.bpr; carts as mean item factors."""

from __future__ import annotations

from typing import Literal

import numpy as np
import scipy.sparse as sp
from pydantic import Field

from cs_lab.data.interactions import Interactions
from cs_lab.models.implicit_cf.factors import THREADS_DOC, FactorConfig, ImplicitFactorRecommender
from cs_lab.models.implicit_cf.matrices import row_mean, training_matrix
from cs_lab.models.registry import register


class BPRConfig(FactorConfig):
    model: Literal["bpr"] = "bpr"
    iterations: int = Field(100, ge=1)
    learning_rate: float = Field(0.01, gt=0.0)
    verify_negative_samples: bool = True
    # Hogwild SGD: with several threads the factors differ from run to run; 1 = reproducible
    num_threads: int = Field(1, ge=0, description=THREADS_DOC)


@register
class BPR(ImplicitFactorRecommender):
    """Pairwise-ranking matrix factorisation with an item bias (binary signal: values ignored).

    implicit stores the item bias as the last item-factor column (users carry a constant 1 there);
    we keep the F factor columns and the bias apart. A cart is folded in as the mean of its items'
    factors, so a cart item's score for item i is y_cart . y_i + b_i.
    """

    config_class = BPRConfig

    library_module = "implicit.cpu.bpr"

    def _library_model(self, module):
        c = self.config
        return module.BayesianPersonalizedRanking(
            factors=c.factors, learning_rate=c.learning_rate, regularization=c.regularization,
            dtype=np.float32, iterations=c.iterations, num_threads=c.num_threads,
            verify_negative_samples=c.verify_negative_samples, random_state=c.seed)

    def _matrix(self, train: Interactions) -> sp.csr_matrix:
        return training_matrix(train, self.config.train_on, "binary")

    def _take(self, lib, train: Interactions) -> None:
        f = self.config.factors
        users = lib.user_factors[:, :f] if self.config.train_on == "customers" else None
        self._set_factors(lib.item_factors[:, :f], lib.item_factors[:, f], users, train)

    def _fold_in_carts(self, carts: sp.csr_matrix) -> np.ndarray:
        return row_mean(carts, self.item_factors_)
