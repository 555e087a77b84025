"""Ranking accuracy metrics with binary relevance.

Definitions match ranx 0.3 (``ranx.evaluate``) exactly; see docs/metrics.md.
For a query with truth set T (|T| = R), top-k list r_1..r_k and hit
indicator h_j = [r_j in T]:

    precision@k = sum_j h_j / k            (k, not the list length: short lists are penalised)
    recall@k    = sum_j h_j / R
    hit_rate@k  = [sum_j h_j > 0]
    ndcg@k      = DCG@k / IDCG@k,  DCG@k = sum_j h_j / log2(j + 1),
                  IDCG@k = sum_{j <= min(k, R)} 1 / log2(j + 1)   (binary gains)
    map@k       = (1 / R) * sum_j h_j * precision@j                 (ranx AP@k)
    map_capped@k= (1 / min(k, R)) * sum_j h_j * precision@j         (not default)
    mrr@k       = 1 / (position of the first hit) if it is within k, else 0

Every value lies in [0, 1]. Queries with R = 0 follow the evaluation's
empty-truth policy (excluded, or 0 as ranx returns for an empty qrels entry).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from cs_lab.eval.context import EvalContext
from cs_lab.eval.registry import Metric, register_metric


def safe_divide(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """num / den elementwise, 0 where den == 0."""
    num = np.asarray(num, dtype=np.float64)
    den = np.asarray(den, dtype=np.float64)
    return np.divide(num, den, out=np.zeros(np.broadcast(num, den).shape), where=den != 0)


def discounts(k: int) -> np.ndarray:
    """1 / log2(j + 1) for ranks j = 1..k."""
    return 1.0 / np.log2(np.arange(2, k + 2, dtype=np.float64))


@register_metric
class Precision(Metric):
    """Share of the k recommendation slots holding a relevant item."""

    name = "precision"

    def compute(self, ctx: EvalContext, ks: Sequence[int]) -> dict[int, np.ndarray]:
        return {k: ctx.at(ctx.cum_hits, k) / k for k in ks}


@register_metric
class Recall(Metric):
    """Share of the relevant items found in the top k."""

    name = "recall"

    def compute(self, ctx: EvalContext, ks: Sequence[int]) -> dict[int, np.ndarray]:
        return {k: safe_divide(ctx.at(ctx.cum_hits, k), ctx.n_truth) for k in ks}


@register_metric
class HitRate(Metric):
    """1 if at least one relevant item is in the top k, else 0."""

    name = "hit_rate"

    def compute(self, ctx: EvalContext, ks: Sequence[int]) -> dict[int, np.ndarray]:
        return {k: (ctx.at(ctx.cum_hits, k) > 0).astype(np.float64) for k in ks}


@register_metric
class NDCG(Metric):
    """Normalised DCG with binary gains; the ideal list has min(k, |truth|) hits on top."""

    name = "ndcg"

    def compute(self, ctx: EvalContext, ks: Sequence[int]) -> dict[int, np.ndarray]:
        disc = discounts(ctx.k_max)
        ideal = np.concatenate([[0.0], np.cumsum(disc)])  # ideal[m] = DCG of m hits on top
        dcg = ctx.prefix_sums(lambda a, b: ctx.hits[:, a:b] * disc[a:b], ks)
        return {k: safe_divide(dcg[k], ideal[np.minimum(ctx.n_truth, k)]) for k in ks}


@register_metric
class MAP(Metric):
    """Average precision at k with denominator |truth| (ranx / trec_eval convention)."""

    name = "map"

    def _ap_sums(self, ctx: EvalContext, ks: Sequence[int]) -> dict[int, np.ndarray]:
        def weights(a: int, b: int) -> np.ndarray:
            ranks = np.arange(a + 1, b + 1, dtype=np.float64)
            return ctx.hits[:, a:b] * (ctx.cum_hits[:, a:b] / ranks)

        return ctx.prefix_sums(weights, ks)

    def compute(self, ctx: EvalContext, ks: Sequence[int]) -> dict[int, np.ndarray]:
        sums = self._ap_sums(ctx, ks)
        return {k: safe_divide(sums[k], ctx.n_truth) for k in ks}


@register_metric
class MAPCapped(MAP):
    """Average precision at k with denominator min(k, |truth|), so a perfect top k scores 1."""

    name = "map_capped"
    default = False

    def compute(self, ctx: EvalContext, ks: Sequence[int]) -> dict[int, np.ndarray]:
        sums = self._ap_sums(ctx, ks)
        return {k: safe_divide(sums[k], np.minimum(ctx.n_truth, k)) for k in ks}


@register_metric
class MRR(Metric):
    """Reciprocal rank of the first relevant item within the top k (0 if none)."""

    name = "mrr"

    def compute(self, ctx: EvalContext, ks: Sequence[int]) -> dict[int, np.ndarray]:
        rr = 1.0 / (ctx.first_hit + 1.0)
        return {k: np.where(ctx.first_hit < k, rr, 0.0) for k in ks}
