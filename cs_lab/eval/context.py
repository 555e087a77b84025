"""Shared, lazily computed intermediates that several metrics read.

The context is a cache, not a dispatcher: it knows nothing about individual
metrics. A metric asks for what it needs (hit matrix, cumulative hits, truth
sizes, catalog fields) and each piece is computed once per evaluation.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Literal

import numpy as np
import scipy.sparse as sp

from cs_lab.errors import ConfigError
from cs_lab.eval.catalog import Catalog
from cs_lab.eval.hits import hit_matrix
from cs_lab.eval.lines import align_line_values
from cs_lab.eval.lookup import positions_at_recs, values_at_recs
from cs_lab.eval.offers import SlotOffers

EmptyTruth = Literal["exclude", "zero"]


@dataclass
class EvalContext:
    """Inputs of one evaluation plus cached derived arrays.

    recs        : int64 (n_queries, K) padded with -1, K = max cut-off.
    truth       : canonical CSR truth (n_queries, n_items), see inputs.as_truth_matrix.
    n_items     : size of the item index.
    catalog     : optional item side information.
    empty_truth : "exclude" (queries without truth are left out of truth-based
                  metrics) or "zero" (they score 0).
    history     : optional canonical CSR (n_queries, n_items): items the query's
                  customer bought in the training period (empty row = none).
    truth_value : optional CSR with exactly the truth's entries: each hidden
                  line's value (quantity x unit price); see lines.align_line_values.
    truth_margin: optional CSR like truth_value: quantity x (price - cost).
    cart_value  : optional (n_queries,) value of each query's visible cart (sum of
                  quantity x unit price of its lines); read by the threshold metrics.
    offers      : optional SlotOffers: the leading slots of each list that form an offered
                  bundle and its discount (see offers.py; bundle metrics).
    """

    recs: np.ndarray
    truth: sp.csr_array
    n_items: int
    catalog: Catalog | None = None
    empty_truth: EmptyTruth = "exclude"
    history: sp.csr_array | None = None
    truth_value: sp.csr_array | None = None
    truth_margin: sp.csr_array | None = None
    cart_value: np.ndarray | None = None
    offers: SlotOffers | None = None

    INPUTS = ("history", "truth_value", "truth_margin", "cart_value", "offers")
    """Optional evaluation inputs a metric may declare in ``Metric.inputs``."""

    def given_inputs(self) -> frozenset[str]:
        """Names of the optional inputs present in this evaluation."""
        return frozenset(name for name in self.INPUTS if getattr(self, name) is not None)

    def restricted(self, truth: sp.csr_array) -> EvalContext:
        """Same recommendations and side inputs, truth replaced by a subset of its entries.

        Used for the repeat / explore parts: line values are re-aligned to the
        subset, and queries whose subset is empty are always excluded (NaN).
        """
        def align(values: sp.csr_array | None, name: str) -> sp.csr_array | None:
            return None if values is None else align_line_values(truth, values, name)

        return EvalContext(recs=self.recs, truth=truth, n_items=self.n_items, catalog=self.catalog,
                           empty_truth="exclude", history=self.history,
                           truth_value=align(self.truth_value, "truth_value"),
                           truth_margin=align(self.truth_margin, "truth_margin"), cart_value=self.cart_value,
                           offers=self.offers)

    @property
    def n_queries(self) -> int:
        return int(self.recs.shape[0])

    @property
    def k_max(self) -> int:
        return int(self.recs.shape[1])

    @cached_property
    def valid(self) -> np.ndarray:
        """Bool (n, K): position holds an item (not padding)."""
        return self.recs >= 0

    @cached_property
    def n_valid(self) -> np.ndarray:
        """Int (n, K): number of items in the first j+1 positions."""
        return np.cumsum(self.valid, axis=1, dtype=np.int32)

    @cached_property
    def hits(self) -> np.ndarray:
        """Bool (n, K): position holds a relevant item."""
        return hit_matrix(self.recs, self.truth)

    @cached_property
    def cum_hits(self) -> np.ndarray:
        """Int (n, K): relevant items among the first j+1 positions."""
        return np.cumsum(self.hits, axis=1, dtype=np.int32)

    @cached_property
    def in_history(self) -> np.ndarray:
        """Bool (n, K): position holds an item of the query's history (needs ``history``)."""
        return positions_at_recs(self.require_input("history", "in_history"), self.recs) >= 0

    def line_values(self, name: str, metric: str) -> np.ndarray:
        """Float (n, K): the hidden line's value (``truth_value`` / ``truth_margin``) at each hit, else 0."""
        key = f"_at_recs_{name}"
        if key not in self.__dict__:
            self.__dict__[key] = values_at_recs(self.require_input(name, metric), self.recs)
        return self.__dict__[key]

    @cached_property
    def n_truth(self) -> np.ndarray:
        """Int (n,): number of relevant items per query."""
        return np.diff(self.truth.indptr)

    @cached_property
    def has_truth(self) -> np.ndarray:
        """Bool (n,): query has at least one relevant item."""
        return self.n_truth > 0

    @cached_property
    def evaluated(self) -> np.ndarray:
        """Bool (n,): query counts in truth-based metrics (all queries when empty_truth='zero')."""
        if self.empty_truth == "zero":
            return np.ones(self.n_queries, dtype=bool)
        return self.has_truth

    @cached_property
    def first_hit(self) -> np.ndarray:
        """Int (n,): 0-based position of the first relevant item, K when there is none."""
        any_hit = self.hits.any(axis=1)
        return np.where(any_hit, np.argmax(self.hits, axis=1), self.k_max)

    def at(self, cumulative: np.ndarray, k: int) -> np.ndarray:
        """Column of a cumulative (n, K) array for cut-off ``k``."""
        return cumulative[:, k - 1]

    def prefix_sums(self, weights: Callable[[int, int], np.ndarray],
                    ks: Sequence[int]) -> dict[int, np.ndarray]:
        """Per-query sums of ``weights(a, b)`` (an (n, b-a) array for positions a..b-1) over the top k.

        Evaluated segment by segment between consecutive cut-offs, so peak
        memory stays at one (n, segment) block instead of a full (n, K) float array.
        """
        out: dict[int, np.ndarray] = {}
        total = np.zeros(self.n_queries, dtype=np.float64)
        prev = 0
        for k in sorted(ks):
            if k > prev:
                total = total + weights(prev, k).sum(axis=1, dtype=np.float64)
            out[k] = total
            prev = k
        return out

    def item_values(self, values: np.ndarray, fill: float = 0.0) -> Callable[[int, int], np.ndarray]:
        """A ``weights`` function returning ``values[item]`` per position, ``fill`` on padding."""
        padded = np.append(np.asarray(values, dtype=np.float64), fill)  # index -1 -> fill

        def weights(a: int, b: int) -> np.ndarray:
            return padded[self.recs[:, a:b]]

        return weights

    def require_input(self, name: str, metric: str) -> sp.csr_array:
        """Optional evaluation input ``name``; ConfigError naming the metric when it was not given."""
        value = getattr(self, name, None)
        if value is None:
            raise ConfigError(f"metric {metric!r} needs evaluate({name}=...); pass it or drop the metric")
        return value

    def require_offers(self, metric: str) -> SlotOffers:
        """The bundle offers; ConfigError naming the metric when they were not given."""
        if self.offers is None:
            raise ConfigError(f"metric {metric!r} needs evaluate(offers=...) (a model that offers bundles); "
                              "pass it or drop the metric")
        return self.offers

    def require(self, field: str, metric: str) -> np.ndarray:
        """Catalog array ``field``; ConfigError naming the metric when it is absent."""
        if self.catalog is None or not self.catalog.has(field):
            raise ConfigError(f"metric {metric!r} needs catalog.{field}; pass "
                              f"catalog=Catalog({field}=...) or drop the metric")
        return getattr(self.catalog, field)
