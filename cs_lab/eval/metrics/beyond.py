"""Beyond-accuracy metrics: coverage, novelty, intra-list diversity, popularity bias.

None of them looks at the truth, so they use every query (including queries
without hidden items). Per-list metrics average over the items actually
recommended in the top k (padding ignored) and are NaN for a list with no
item (diversity: fewer than two items of known category); NaN lists are left
out of the mean. See docs/metrics.md for the conventions.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from cs_lab.errors import ConfigError
from cs_lab.eval.context import EvalContext
from cs_lab.eval.registry import Metric, register_metric


def list_means(ctx: EvalContext, item_values: np.ndarray, ks: Sequence[int]) -> dict[int, np.ndarray]:
    """Per-query mean of ``item_values[item]`` over the recommended items of the top k (NaN if none)."""
    sums = ctx.prefix_sums(ctx.item_values(item_values, fill=0.0), ks)
    out = {}
    for k in ks:
        count = ctx.at(ctx.n_valid, k)
        with np.errstate(invalid="ignore", divide="ignore"):
            out[k] = np.where(count > 0, sums[k] / count, np.nan)
    return out


def self_information(popularity: np.ndarray, total: float | None) -> np.ndarray:
    """-log2(share) per item with share = max(count, 1) / total; total defaults to the sum of counts.

    Items never seen in training are treated as seen once, so their novelty is
    finite and equal to that of the rarest seen-once item.
    """
    denom = float(popularity.sum()) if total is None else float(total)
    if not denom > 0:
        raise ConfigError("novelty needs a positive popularity total (catalog.popularity all zero?)")
    return -np.log2(np.maximum(popularity, 1.0) / denom)


def popularity_percentile(popularity: np.ndarray) -> np.ndarray:
    """Per item, the mean of the strict and weak percentile of its popularity among all items, in [0, 1].

    Equals ``scipy.stats.percentileofscore(popularity, p, kind="mean") / 100``:
    a catalog where every item is equally popular puts every item at 0.5.
    """
    ordered = np.sort(popularity)
    below = np.searchsorted(ordered, popularity, side="left")
    at_or_below = np.searchsorted(ordered, popularity, side="right")
    return (below + at_or_below) / (2.0 * popularity.size)


@register_metric
class CatalogCoverage(Metric):
    """Distinct items recommended in anybody's top k, divided by n_items (one number per k)."""

    name = "coverage"
    scope = "global"
    needs_truth = False

    def compute(self, ctx: EvalContext, ks: Sequence[int]) -> dict[int, float]:
        seen = np.zeros(ctx.n_items + 1, dtype=bool)  # last slot absorbs padding (-1)
        out, prev = {}, 0
        for k in sorted(ks):
            seen[ctx.recs[:, prev:k]] = True
            out[k] = float(np.count_nonzero(seen[:-1])) / ctx.n_items if ctx.n_items else np.nan
            prev = k
        return out


@register_metric
class Novelty(Metric):
    """Mean self-information -log2(popularity share) of the recommended items."""

    name = "novelty"
    needs_truth = False
    requires = ("popularity",)

    def compute(self, ctx: EvalContext, ks: Sequence[int]) -> dict[int, np.ndarray]:
        pop = ctx.require("popularity", self.name)
        info = self_information(pop, ctx.catalog.popularity_total if ctx.catalog else None)
        return list_means(ctx, info, ks)


@register_metric
class PopularityBias(Metric):
    """Mean popularity percentile (0 = least, 1 = most popular item) of the recommended items."""

    name = "popularity_bias"
    needs_truth = False
    requires = ("popularity",)

    def compute(self, ctx: EvalContext, ks: Sequence[int]) -> dict[int, np.ndarray]:
        pop = ctx.require("popularity", self.name)
        return list_means(ctx, popularity_percentile(pop), ks)


@register_metric
class IntraListDiversity(Metric):
    """Share of item pairs in the top k whose categories differ.

    Only items with a known category (code >= 0) form pairs; a list with fewer
    than two such items is NaN.
    """

    name = "diversity"
    needs_truth = False
    requires = ("category",)

    def compute(self, ctx: EvalContext, ks: Sequence[int]) -> dict[int, np.ndarray]:
        codes = ctx.require("category", self.name)
        cats = np.append(codes, -1)[ctx.recs]  # padding -> unknown
        known = cats >= 0
        # same[:, j]: earlier known items sharing the category of the item at position j
        same = np.zeros(cats.shape, dtype=np.int32)
        for j in range(1, ctx.k_max):
            match = (cats[:, :j] == cats[:, j : j + 1]) & known[:, :j]
            same[:, j] = np.count_nonzero(match, axis=1) * known[:, j]
        cum_same = np.cumsum(same, axis=1, dtype=np.int64)
        m = np.cumsum(known, axis=1, dtype=np.int64)
        out = {}
        for k in ks:
            pairs = ctx.at(m, k) * (ctx.at(m, k) - 1) // 2
            with np.errstate(invalid="ignore", divide="ignore"):
                out[k] = np.where(pairs > 0, 1.0 - ctx.at(cum_same, k) / pairs, np.nan)
        return out


@register_metric
class FillRate(Metric):
    """Share of the k slots holding an item (not -1 padding); 0 for an empty list.

    Not computed by default (request "fill_rate"), so the default column set is unchanged.
    """

    name = "fill_rate"
    needs_truth = False
    default = False

    def compute(self, ctx: EvalContext, ks: Sequence[int]) -> dict[int, np.ndarray]:
        return {k: ctx.at(ctx.n_valid, k) / k for k in ks}
