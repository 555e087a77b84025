"""Bayesian Personalized Ranking (Rendle et al. 2009) via implicit.cpu.bpr; carts folded in under BPR's loss."""

from __future__ import annotations

from typing import Literal

import numpy as np
import scipy.sparse as sp
from pydantic import Field

from cs_lab.data.interactions import Interactions
from cs_lab.models.implicit_cf.factors import (
    THREADS_DOC, FactorConfig, FoldInFields, ImplicitFactorRecommender, LossFoldInRecommender, binary_row_weights)
from cs_lab.models.implicit_cf.matrices import training_matrix
from cs_lab.models.registry import register


class BPRConfig(FoldInFields, FactorConfig):
    model: Literal["bpr"] = "bpr"
    iterations: int = Field(100, ge=1)
    learning_rate: float = Field(0.01, gt=0.0)
    verify_negative_samples: bool = True
    # Hogwild SGD: with several threads the factors differ from run to run; 1 = reproducible
    num_threads: int = Field(1, ge=0, description=THREADS_DOC)


@register
class BPR(LossFoldInRecommender, ImplicitFactorRecommender):
    """Pairwise-ranking matrix factorisation with an item bias (binary signal: values ignored).

    implicit stores the item bias as the last item-factor column (users carry a constant 1 there);
    we keep the F factor columns and the bias apart. A cart C is folded in under BPR's own
    objective, item factors fixed, as implicit's SGD sees one user per epoch:

        x_C = argmin_x  1/|C| sum_{i in C} E_j[ -log sigmoid(x.(y_i - y_j) + b_i - b_j) ] + reg/2 |x|^2

    with j drawn as implicit draws negatives (in proportion to the item's training rows, never a
    cart item when verify_negative_samples), over a fixed seeded sample (fold_in.py).
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
        self._trained_rows = lib.user_factors[:, :f]   # customers or baskets: the fold-in's calibration
        self._set_factors(lib.item_factors[:, :f], lib.item_factors[:, f], users, train)

    def _negative_weights(self) -> np.ndarray:
        return self.item_counts_

    def _fold_in_setup(self, rows, history):
        return binary_row_weights(rows), dict(loss="pairwise", regularization=self.config.regularization,
                                              exclude_positives=self.config.verify_negative_samples)
