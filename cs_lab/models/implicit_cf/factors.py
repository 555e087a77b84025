"""Shared scoring for latent-factor models (ALS, BPR, LMF, LightFM).

A fitted factor model keeps, as plain NumPy arrays copied out of the library:

    item_factors_      (n_items, F) float32
    item_bias_         (n_items,)   float32 (zeros for models without an item bias)
    customer_factors_  (n_customers, F) float32, only when ``use_customer`` (else (0, F))
    popularity_        (n_items,)   training basket counts, for the fallback
    known_items_       (n_items,)   bool, items present in the training matrix

A query is scored as ``q . y_i + b_i`` where q is the query vector:

    cart only             q = fold_in(cart)            (subclass: exact ALS solve, or the model's own
                                                         loss minimised over q: fold_in.py)
    customer only         q = customer vector           (when use_customer and the customer is known)
    cart and customer     q = (1 - w) fold_in(cart) + w customer vector,   w = customer_weight
    neither               no signal: popularity scores (fallback="popularity") or all -inf ("none")

Items absent from the training matrix are never candidates (-inf).
"""

from __future__ import annotations

from abc import abstractmethod
from typing import Any, Literal

import numpy as np
import scipy.sparse as sp
from pydantic import BaseModel, Field

from cs_lab.data.interactions import Interactions
from cs_lab.data.queries import Queries
from cs_lab.models.base import Recommender
from cs_lab.models.config import ModelConfig
from cs_lab.models.implicit_cf.matrices import TrainOn

Fallback = Literal["popularity", "none"]
THREADS_DOC = ("1 (default) = bit-identical repeated fits; 0 = all cores, or N threads: faster but "
               "not reproducible (lock-free Hogwild updates); docs/models_cf.md")


class CartScoringConfig(ModelConfig):
    """Fields shared by every factor model: what it is trained on and how queries are answered."""

    train_on: TrainOn = "customers"
    use_customer: bool = False
    customer_weight: float = Field(0.5, ge=0.0, le=1.0)
    fallback: Fallback = "popularity"
    num_threads: int = Field(0, ge=0, description="0 = all cores; 1 for bit-identical repeated fits")


class FactorConfig(CartScoringConfig):
    """Fields shared by the implicit matrix-factorisation models."""

    factors: int = Field(64, ge=1, le=4096)
    regularization: float = Field(0.01, ge=0.0)
    iterations: int = Field(15, ge=1)


class FoldInFields(BaseModel):
    """Mixed into the configs of the models whose carts are folded in by ``fold_in.fold_in``."""

    fold_in_calibrate: bool = Field(
        True, description="scale the fold-in's L2 penalty (x1 to x30 of the model's) at fit so that folding "
                          "in training rows gives back their trained vectors best (docs/models_cf.md)")

    fold_in_iterations: int = Field(5, ge=1, le=1000, description="solver iterations per cart fold-in")
    fold_in_negatives: int = Field(
        1024, ge=1, description="negative items the fold-in ranks the cart against (a draw seeded by "
                                "`seed`; every item when the catalogue has no more)")


class FactorRecommender(Recommender):
    stochastic = True   # random initialisation (and sampling for BPR / LMF / LightFM)
    """Base of the factor models: NumPy scoring of copied-out factors (see module docstring).

    Subclasses implement ``_fit`` (ending in ``_set_factors``) and ``_fold_in_carts``.
    """

    config_class = CartScoringConfig

    # -- what subclasses provide -------------------------------------------------
    @abstractmethod
    def _fold_in_carts(self, carts: sp.csr_matrix) -> np.ndarray:
        """(n, F) query vectors for binary cart rows (zero rows for empty carts)."""

    @abstractmethod
    def _fold_in_history(self, customer_items: sp.csr_matrix) -> np.ndarray:
        """(n_customers, F) vectors from the customers' training histories (used when the model
        has no customer factors of its own, e.g. train_on='baskets'), by the same fold-in as carts."""

    # -- fitted state ------------------------------------------------------------
    def _set_common(self, train: Interactions, matrix: sp.csr_matrix) -> None:
        self.popularity_ = np.asarray(train.item_popularity(), dtype=np.float64)
        self.item_counts_ = np.asarray(matrix.getnnz(axis=0), dtype=np.int64)  # rows holding each item
        self.known_items_ = self.item_counts_ > 0

    def _set_factors(self, item_factors: np.ndarray, item_bias: np.ndarray | None,
                     customer_factors: np.ndarray | None, train: Interactions) -> None:
        """Store copies of the factors. ``customer_factors`` are the library's user factors when it
        was trained on customers; otherwise (None) they are folded in from the customers' histories,
        and only when ``use_customer`` needs them."""
        f = item_factors.shape[1]
        self.item_factors_ = np.array(item_factors, dtype=np.float32, copy=True)
        self.item_bias_ = (np.zeros(len(item_factors), np.float32) if item_bias is None
                           else np.array(item_bias, dtype=np.float32, copy=True))
        self._invalidate_cache()
        self._after_item_factors(train)
        if not self.config.use_customer:
            self.customer_factors_ = np.zeros((0, f), np.float32)
        elif customer_factors is not None:
            self.customer_factors_ = np.array(customer_factors, dtype=np.float32, copy=True)
        else:
            self.customer_factors_ = self._fold_in_history(train.customer_items).astype(np.float32)

    def _invalidate_cache(self) -> None:
        """Drop values derived from the factors (subclasses extend it for their own caches)."""
        self._scoring_cache = None

    def _after_item_factors(self, train: Interactions) -> None:
        """Called once new item factors are stored, before customer histories are folded in."""

    @property
    def _hooked(self) -> bool:
        return getattr(self, "_on_iteration", None) is not None

    # -- scoring -------------------------------------------------------------------
    def recommend(self, queries: Queries, k: int, exclude: sp.spmatrix | None = None
                  ) -> tuple[np.ndarray, np.ndarray]:
        """As Recommender.recommend; with ``num_threads=1`` the compiled top-k runs on one thread
        too (it would otherwise use every core, as the library would with 0)."""
        if self.config.num_threads != 1:
            return super().recommend(queries, k, exclude)
        import numba

        before = numba.get_num_threads()
        numba.set_num_threads(1)
        try:
            return super().recommend(queries, k, exclude)
        finally:
            numba.set_num_threads(before)

    def query_vectors(self, queries: Queries) -> tuple[np.ndarray, np.ndarray]:
        """(n, F) float64 query vectors and a bool mask of the rows that have any signal."""
        carts = queries.carts.tocsr()
        q = np.asarray(self._fold_in_carts(carts), dtype=np.float64)
        has_cart = np.diff(carts.indptr) > 0
        has = has_cart.copy()
        if self.config.use_customer and len(self.customer_factors_):
            cust = np.asarray(queries.customers)
            ok = (cust >= 0) & (cust < len(self.customer_factors_))
            cv = np.zeros_like(q)
            cv[ok] = self.customer_factors_[cust[ok]]
            ok &= np.any(cv != 0, axis=1)
            w = self.config.customer_weight
            both, only = ok & has_cart, ok & ~has_cart
            q[both] = (1.0 - w) * q[both] + w * cv[both]
            q[only] = cv[only]
            has |= ok
        return q, has

    def _score(self, queries: Queries) -> np.ndarray:
        q, has = self.query_vectors(queries)
        w, unknown = self._scoring_matrix()
        # [q, 1] @ [Y; b]: scores and bias in one float32 GEMM (as implicit scores); the base
        # class takes the float32 block as it is
        s = np.concatenate([q, np.ones((len(q), 1))], axis=1).astype(np.float32) @ w
        if len(unknown):
            s[:, unknown] = -np.inf
        if not has.all():
            none = ~has
            if self.config.fallback == "popularity":
                s[none] = np.where(self.popularity_ > 0, self.popularity_, -np.inf)
            else:
                s[none] = -np.inf
        return s

    def _scoring_matrix(self) -> tuple[np.ndarray, np.ndarray]:
        """Cached (F + 1, n_items) float32 [item factors; item bias] and the non-candidate items."""
        cached = getattr(self, "_scoring_cache", None)
        if cached is None:
            w = np.empty((self.item_factors_.shape[1] + 1, len(self.item_factors_)), dtype=np.float32)
            w[:-1] = self.item_factors_.T
            w[-1] = self.item_bias_
            cached = self._scoring_cache = (w, np.flatnonzero(~self.known_items_))
        return cached

    # -- persistence -----------------------------------------------------------------
    def _state(self) -> dict[str, Any]:
        return {"item_factors": self.item_factors_, "item_bias": self.item_bias_,
                "customer_factors": self.customer_factors_, "popularity": self.popularity_,
                "known_items": self.known_items_, "item_counts": self.item_counts_}

    def _set_state(self, arrays: dict[str, np.ndarray]) -> None:
        self.item_factors_ = arrays["item_factors"]
        self.item_bias_ = arrays["item_bias"]
        self.customer_factors_ = arrays["customer_factors"]
        self.popularity_ = arrays["popularity"]
        self.known_items_ = arrays["known_items"].astype(bool)
        # models saved before item_counts was kept: training popularity is the nearest stand-in
        self.item_counts_ = np.asarray(arrays.get("item_counts", self.popularity_), dtype=np.int64)
        self._invalidate_cache()


class LossFoldInRecommender(FactorRecommender):
    """A factor model whose carts (and, in basket mode, customer histories) are folded in by
    minimising its own training loss over the query vector (``fold_in.fold_in``); never the mean
    of the items' factors. Subclasses say which loss and which negatives (``_fold_in_setup``)."""

    @abstractmethod
    def _fold_in_setup(self, rows: sp.csr_matrix, history: bool) -> tuple[sp.csr_matrix, dict[str, Any]]:
        """(weights a_i as a CSR over the rows, keyword arguments of fold_in.fold_in)."""

    @abstractmethod
    def _negative_weights(self) -> np.ndarray:
        """(n_items,) how often training draws each item as a negative (any scale)."""

    def _invalidate_cache(self) -> None:
        super()._invalidate_cache()
        self._negatives = None

    @property
    def negatives(self):
        from cs_lab.models.implicit_cf.fold_in import Negatives

        if getattr(self, "_negatives", None) is None:
            self._negatives = Negatives.draw(self._negative_weights(), self.config.fold_in_negatives,
                                             self.config.seed)
        return self._negatives

    def _fold_in_rows(self, rows: sp.csr_matrix, history: bool, regularization: float | None = None,
                      iterations: int | None = None) -> np.ndarray:
        from cs_lab.models.implicit_cf.fold_in import fold_in

        weights, kwargs = self._fold_in_setup(sp.csr_matrix(rows, dtype=np.float64), history)
        if regularization is None:
            regularization = kwargs["regularization"] * getattr(self, "fold_in_scale_", 1.0)
        kwargs["regularization"] = regularization
        return fold_in(weights, self.item_factors_, self.item_bias_, self.negatives,
                       iterations=iterations or self.config.fold_in_iterations, **kwargs)

    # -- calibration of the penalty ------------------------------------------------
    CALIBRATION_SCALES = (1.0, 3.0, 10.0, 30.0)
    CALIBRATION_ROWS = 64

    def _after_item_factors(self, train: Interactions) -> None:
        trained = getattr(self, "_trained_rows", None)
        self._trained_rows = None
        self.fold_in_scale_ = 1.0
        if trained is None or not self.config.fold_in_calibrate:
            return
        self.fold_in_scale_ = self.calibrate_scale(train, np.asarray(trained, dtype=np.float64))

    def calibrate_scale(self, train: Interactions, trained: np.ndarray) -> float:
        """The factor (from CALIBRATION_SCALES) on the fold-in's L2 penalty under which folding in
        a seeded sample of training rows (2 to 50 items, as carts are; 3 solver iterations) lands closest to the vectors
        the library trained for them (least mean squared distance relative to |u|^2).

        SGD stopped after a set number of epochs leaves the trained vectors shorter than the exact
        minimisers of the penalised loss; a larger penalty on the fold-in matches that."""
        raw = train.customer_items if self.config.train_on == "customers" else train.basket_items
        raw = sp.csr_matrix(raw, dtype=np.float64)
        sizes = np.diff(raw.indptr)
        norms = np.linalg.norm(trained, axis=1)
        ok = np.flatnonzero((sizes >= 2) & (sizes <= 50) & (norms > 0))
        if len(ok) < 10:
            return 1.0
        rng = np.random.default_rng(np.random.SeedSequence([self.config.seed & 0xFFFFFFFF, 0xCA1B]))
        pick = np.sort(rng.choice(ok, min(self.CALIBRATION_ROWS, len(ok)), replace=False))
        rows, target = raw[pick], trained[pick]
        base = self._fold_in_setup(rows, history=True)[1]["regularization"]
        errors = []
        for scale in self.CALIBRATION_SCALES:
            x = self._fold_in_rows(rows, history=True, regularization=base * scale, iterations=3)
            errors.append(float(np.mean(((x - target) ** 2).sum(axis=1) / norms[pick] ** 2)))
        self.calibration_errors_ = np.asarray(errors)
        return float(self.CALIBRATION_SCALES[int(np.argmin(errors))])

    def _state(self) -> dict[str, Any]:
        return {**super()._state(), "fold_in_scale": np.asarray(getattr(self, "fold_in_scale_", 1.0))}

    def _set_state(self, arrays: dict[str, np.ndarray]) -> None:
        super()._set_state(arrays)
        self.fold_in_scale_ = float(arrays["fold_in_scale"]) if "fold_in_scale" in arrays else 1.0

    def _fold_in_carts(self, carts: sp.csr_matrix) -> np.ndarray:
        return self._fold_in_rows(carts, history=False)

    def _fold_in_history(self, customer_items: sp.csr_matrix) -> np.ndarray:
        return self._fold_in_rows(customer_items, history=True)


def binary_row_weights(rows: sp.csr_matrix) -> sp.csr_matrix:
    """Each row's entries at 1 / (its number of entries): a pairwise loss averaged over the row."""
    out = sp.csr_matrix(rows, dtype=np.float64, copy=True)
    out.eliminate_zeros()
    counts = np.diff(out.indptr)
    out.data = np.repeat(1.0 / np.maximum(counts, 1), counts)
    return out


class ImplicitFactorRecommender(FactorRecommender):
    """A factor model trained by one of implicit's CPU models.

    Each fit builds a fresh library model (``_library_model``), fits it on ``_matrix(train)`` and
    copies the factors out (``_take``). implicit calls back after every iteration; when a hook was
    passed to ``fit(on_iteration=...)`` the current factors are copied out first, so the hook can
    score with the model, and anything the hook raises (optuna.TrialPruned) stops training.
    """

    library_module: str = ""  # e.g. "implicit.cpu.als", imported on first fit

    @abstractmethod
    def _library_model(self, module: Any) -> Any:
        """A fresh, unfitted library model built from the config."""

    @abstractmethod
    def _matrix(self, train: Interactions) -> sp.csr_matrix: ...

    @abstractmethod
    def _take(self, lib: Any, train: Interactions) -> None: ...

    def _fit(self, train: Interactions) -> None:
        from cs_lab.models.implicit_cf._deps import blas_single_thread, require

        module = require(self.library_module, "implicit", self.config.model)
        matrix = self._matrix(train)
        self._set_common(train, matrix)
        with blas_single_thread(module):
            lib = self._library_model(module)

            def callback(iteration: int, *_: Any) -> None:
                if self._wants_iteration(iteration):
                    self._take(lib, train)
                    self._report_iteration(iteration)

            lib.fit(matrix, show_progress=False, callback=callback)
        self._take(lib, train)
