"""LightFM (Kula 2015): hybrid matrix factorisation with optional item and customer side features.

Trained epoch by epoch with ``fit_partial``; after each epoch the item representations
(feature embeddings summed per item, and item biases) are copied out and the per-iteration
hook is called with the epoch index. A cart is a new user: its vector is fitted against the fixed
item representations under the model's loss (fold_in.py; see LightFMModel), and scored as
x . y_i + b_i (see cs_lab.models.implicit_cf.factors for the customer blend and the fallback).
"""

from __future__ import annotations

import os
from typing import Any, Literal

import numpy as np
import scipy.sparse as sp
from pydantic import Field, model_validator

from cs_lab.data.interactions import Interactions
from cs_lab.models.implicit_cf._deps import blas_single_thread, require
from cs_lab.models.implicit_cf.factors import (
    THREADS_DOC, CartScoringConfig, FoldInFields, LossFoldInRecommender, binary_row_weights)
from cs_lab.models.implicit_cf.matrices import training_matrix
from cs_lab.models.lightfm_cf import features
from cs_lab.models.registry import register


class LightFMConfig(FoldInFields, CartScoringConfig):
    model: Literal["lightfm"] = "lightfm"
    loss: Literal["warp", "bpr", "logistic", "warp-kos"] = "warp"
    no_components: int = Field(32, ge=1, le=4096)
    learning_rate: float = Field(0.05, gt=0.0)
    learning_schedule: Literal["adagrad", "adadelta"] = "adagrad"
    item_alpha: float = Field(0.0, ge=0.0, description="L2 penalty on item features")
    user_alpha: float = Field(0.0, ge=0.0, description="L2 penalty on user features")
    epochs: int = Field(10, ge=1)
    max_sampled: int = Field(10, ge=1, description="max negatives tried per positive (WARP)")
    kos_k: int = Field(5, ge=1, description="k of the k-OS loss (warp-kos only)")
    kos_n: int = Field(10, ge=1, description="n of the k-OS loss (warp-kos only)")
    item_features: bool = False
    user_features: bool = False
    price_bands: int = Field(5, ge=1, description="item price quantile bands (item_features)")
    spend_bands: int = Field(4, ge=1, description="customer spend / frequency bands (user_features)")
    # Hogwild SGD: with several threads the factors differ from run to run; 1 = reproducible
    num_threads: int = Field(1, ge=0, description=THREADS_DOC)
    fold_in_regularization: float = Field(
        0.01, gt=0.0, description="L2 penalty of the cart fold-in, added to user_alpha (LightFM's default "
                                  "user_alpha=0 leaves a cart's vector without a minimiser)")

    @model_validator(mode="after")
    def _user_features_need_customers(self) -> "LightFMConfig":
        if self.user_features and self.train_on != "customers":
            raise ValueError("user_features=True needs train_on='customers' (the rows of a basket x item "
                             "matrix are baskets, which have no customer features); set one of them")
        return self


@register
class LightFMModel(LossFoldInRecommender):
    """LightFM with warp / bpr / logistic / warp-kos loss and optional side features.

    A cart has no user features of its own (it is anonymous: neither an identity feature nor a
    spend band), so it is folded in as a free user vector x against the fixed item
    representations, with lam = user_alpha + fold_in_regularization:

    - loss "bpr":  LightFM's own BPR objective, negatives uniform over the catalogue;
    - "warp", "warp-kos": the same pairwise objective. WARP and k-OS rank the same (positive,
      negative) pairs with a rank-weighted hinge; the smooth log-sigmoid pairwise loss stands in
      for it, as a solver needs a differentiable objective;
    - "logistic": LightFM's logistic loss on the cart's items (positives only, as trained on a
      binary matrix), with a free user bias.
    """

    config_class = LightFMConfig

    def _fit(self, train: Interactions) -> None:
        lightfm = require("lightfm", "rectools-lightfm", "lightfm")
        c = self.config
        matrix = training_matrix(train, c.train_on, "binary")
        self._set_common(train, matrix)
        if c.item_features:  # items without interactions still get a representation from features
            self.known_items_ = np.ones(train.n_items, dtype=bool)
        interactions = matrix.tocoo()
        item_x = features.item_features(train, c.price_bands) if c.item_features else None
        user_x = features.customer_features(train, c.spend_bands) if c.user_features else None
        threads = c.num_threads or os.cpu_count() or 1
        with blas_single_thread(lightfm):
            lib = lightfm.LightFM(no_components=c.no_components, k=c.kos_k, n=c.kos_n,
                                  learning_schedule=c.learning_schedule, loss=c.loss,
                                  learning_rate=c.learning_rate, item_alpha=c.item_alpha,
                                  user_alpha=c.user_alpha, max_sampled=c.max_sampled, random_state=c.seed)
            for epoch in range(c.epochs):
                lib.fit_partial(interactions, user_features=user_x, item_features=item_x, epochs=1,
                                num_threads=threads)
                if self._wants_iteration(epoch):
                    self._take(lib, item_x, user_x, train)
                    self._report_iteration(epoch)
        self._take(lib, item_x, user_x, train)

    def _take(self, lib: Any, item_x: sp.csr_matrix | None, user_x: sp.csr_matrix | None,
              train: Interactions) -> None:
        bias, emb = lib.get_item_representations(item_x)
        trained = lib.get_user_representations(user_x)[1]
        self._trained_rows = trained   # customers or baskets: the fold-in's calibration
        users = trained if self.config.train_on == "customers" and self.config.use_customer else None
        self._set_factors(emb, bias, users, train)

    def _negative_weights(self) -> np.ndarray:
        return np.ones(len(self.item_factors_))   # LightFM draws negatives uniformly

    def _fold_in_setup(self, rows, history):
        c = self.config
        lam = c.user_alpha + c.fold_in_regularization
        if c.loss == "logistic":
            weights = sp.csr_matrix(rows, dtype=np.float64, copy=True)
            weights.eliminate_zeros()
            weights.data[:] = 1.0   # the training matrix is binary
            return weights, dict(loss="pointwise", regularization=lam, user_bias=True)
        return binary_row_weights(rows), dict(loss="pairwise", regularization=lam, exclude_positives=True)
