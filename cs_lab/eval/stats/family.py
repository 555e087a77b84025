"""One declared family of paired comparisons with simultaneous max-T bootstrap intervals.

The family (model pairs on one primary metric) is declared up front. Every
pair is resampled with ONE shared set of (cluster) bootstrap draws, so the
dependence between comparisons (a shared baseline, correlated models) is kept.
For pair j with observed mean difference d_j and replicates d*_bj:

    se_j  = sd_b(d*_bj)                                   (bootstrap standard error)
    T*_b  = max_j |d*_bj - d_j| / se_j                    (max over the family)
    q     = the ceil((1 - alpha) B)-th smallest T*_b      (simultaneous critical value)
    CI_j  = d_j -/+ q se_j
    p_j   = #{b : T*_b se_j >= |d_j|} / B                 (single-step adjusted p-value)

The intervals cover all true differences at once with probability ~1 - alpha
(Westfall & Young 1993, single-step max-T; Romano & Wolf 2005). Because q is an
order statistic of the same T*_b that p_j counts, ``significant`` (the CI
excludes 0) and ``p_adj <= alpha`` are the same event, exactly, in floating point.
Secondary metrics get unadjusted paired (cluster) bootstrap CIs and no verdict
(``compare_secondary``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from cs_lab.errors import ConfigError, DataError
from cs_lab.eval.stats.bootstrap import Clusters, cluster_codes, resample_ratios
from cs_lab.eval.stats.compare import check_same_queries

FAMILY_COLUMNS = ("model_a", "model_b", "metric", "n", "mean_a", "mean_b", "diff", "ci_low", "ci_high",
                  "p_adj", "significant", "family_size", "method")
SECONDARY_COLUMNS = ("model_a", "model_b", "metric", "n", "mean_a", "mean_b", "diff", "ci_low", "ci_high",
                     "family", "method")
SECONDARY_FAMILY = "secondary (unadjusted)"


@dataclass(frozen=True)
class MaxT:
    """Simultaneous intervals of J estimates from shared bootstrap replicates."""

    se: np.ndarray         # (J,) bootstrap standard errors
    critical: float        # q, the simultaneous critical value
    low: np.ndarray        # (J,) d - q se
    high: np.ndarray       # (J,) d + q se
    p_adj: np.ndarray      # (J,) single-step max-T adjusted p-values
    significant: np.ndarray  # (J,) CI excludes 0  (== p_adj <= alpha)


def _rejections_allowed(alpha: float, n_boot: int) -> int:
    """Largest c with c / n_boot <= alpha in floating point (so the CI and p-value decisions coincide)."""
    c = int(np.floor(alpha * n_boot))
    while (c + 1) / n_boot <= alpha:
        c += 1
    while c > 0 and c / n_boot > alpha:
        c -= 1
    return c


def max_t_intervals(replicates: np.ndarray, estimates: np.ndarray, alpha: float = 0.05) -> MaxT:
    """Single-step max-T simultaneous intervals and adjusted p-values.

    replicates : (B, J) bootstrap replicates of the J estimates, drawn jointly.
    estimates  : (J,) observed estimates, all finite.
    A column with se = 0 (every replicate equal) contributes 0 to the max and
    gets the zero-width interval [d, d]; NaN replicates (a pair without any
    query in that resample) contribute 0 as well.
    """
    if not 0.0 < alpha < 1.0:
        raise ConfigError(f"alpha must be in (0, 1), got {alpha}")
    reps = np.asarray(replicates, dtype=np.float64)
    d = np.asarray(estimates, dtype=np.float64)
    if reps.ndim != 2 or reps.shape[1] != d.size or reps.shape[0] < 2:
        raise DataError(f"replicates {reps.shape} must be (B >= 2, J) with J = {d.size} estimates")
    if not np.isfinite(d).all():
        raise DataError("max-T needs finite estimates")
    n_boot = reps.shape[0]
    se = np.nanstd(reps, axis=0, ddof=1)
    se = np.where(np.isfinite(se), se, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        dev = np.abs(reps - d) / se
    dev = np.where(np.isfinite(dev) & (se > 0), dev, 0.0)
    t_star = np.sort(dev.max(axis=1))
    c = _rejections_allowed(alpha, n_boot)
    q = float(t_star[n_boot - c - 1])
    half = q * se
    low, high = d - half, d + half
    # p counts fl(T* se) >= |d| with the same rounding as half = fl(q se): decisions agree exactly
    p = (t_star[:, None] * se[None, :] >= np.abs(d)[None, :]).mean(axis=0)
    significant = (low > 0) | (high < 0)
    return MaxT(se=se, critical=q, low=low, high=high, p_adj=p, significant=significant)


def _aligned(per_query: Mapping[str, pd.DataFrame], models: set[str], metrics: Sequence[str],
             clusters: Clusters) -> tuple[dict[str, pd.DataFrame], np.ndarray]:
    """Frames reindexed to the first model's query order, and cluster codes in that order."""
    unknown = sorted(models - set(per_query))
    if unknown:
        raise ConfigError(f"unknown model(s) {unknown}; have {list(per_query)}")
    frames = check_same_queries(per_query)
    reference = next(iter(frames.values())).index
    for m in sorted(models):
        missing = [c for c in metrics if c not in frames[m].columns]
        if missing:
            raise DataError(f"model {m!r} has no per-query column(s) {missing}")
    aligned = {m: frames[m].reindex(reference) for m in models}
    if isinstance(clusters, pd.Series):
        if not reference.isin(clusters.index).all():
            raise DataError("clusters (a Series) has no label for some queries",
                            hint="index clusters by the per-query frames' query ids")
        clusters = clusters.reindex(reference)
    return aligned, cluster_codes(clusters, len(reference))


def _check_pairs(pairs: Sequence[tuple[str, str]]) -> list[tuple[str, str]]:
    out = [tuple(p) for p in pairs]
    if not out:
        raise ConfigError("the comparison family needs at least one (model_a, model_b) pair")
    if any(len(p) != 2 or p[0] == p[1] for p in out):
        raise ConfigError(f"pairs must be (model_a, model_b) with two different models, got {out}")
    if len(set(out)) != len(out):
        raise ConfigError(f"a pair is listed twice: {out}")
    return out  # type: ignore[return-value]


def _paired_columns(frames: Mapping[str, pd.DataFrame], pairs: Sequence[tuple[str, str]],
                    metrics: Sequence[str], codes: np.ndarray) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """One row per (pair, metric) with n, means and diff; per-cluster sums and counts of a - b, (G, rows).

    Only queries where both values are present count. Clusters with no such
    query in any column are dropped before resampling, as ``bootstrap_ci``
    drops clusters whose values are all NaN.
    """
    g = int(codes.max()) + 1 if codes.size else 0
    rows, sums, counts = [], [], []
    for a, b in pairs:
        for metric in metrics:
            x, y = frames[a][metric].to_numpy(np.float64), frames[b][metric].to_numpy(np.float64)
            both = ~(np.isnan(x) | np.isnan(y))
            n = int(both.sum())
            sums.append(np.bincount(codes, weights=np.where(both, x - y, 0.0), minlength=g))
            counts.append(np.bincount(codes, weights=both.astype(np.float64), minlength=g))
            nan = float("nan")
            rows.append({"model_a": a, "model_b": b, "metric": metric, "n": n,
                         "mean_a": float(x[both].mean()) if n else nan,
                         "mean_b": float(y[both].mean()) if n else nan,
                         "diff": float((x[both] - y[both]).mean()) if n else nan})
    s, c = np.stack(sums, axis=1), np.stack(counts, axis=1)
    keep = c.sum(axis=1) > 0
    return pd.DataFrame(rows), s[keep], c[keep]


def _method(name: str, clusters: Clusters) -> str:
    return f"{name} {'cluster ' if clusters is not None else ''}bootstrap"


def compare_family(per_query: Mapping[str, pd.DataFrame], metric: str, pairs: Sequence[tuple[str, str]],
                   *, clusters: Clusters = None, alpha: float = 0.05, n_boot: int = 2000,
                   seed: int = 0) -> pd.DataFrame:
    """Declared family of paired comparisons on one metric, with simultaneous max-T intervals.

    per_query : model -> per-query frame (``EvalResult.per_query``), same queries.
    metric    : the primary per-query column, e.g. "ndcg@10.explore".
    pairs     : the declared family, (model_a, model_b) with diff = mean_a - mean_b.
    clusters  : one label per query (e.g. customer id; a Series indexed by query
                id, or an array in the first frame's query order); whole clusters
                are resampled. Default: queries are resampled i.i.d.
    Returns one row per pair with FAMILY_COLUMNS; ``significant`` = the
    simultaneous CI excludes 0, which is the same event as ``p_adj <= alpha``.
    Pairs with no query where both values are present get NaN and do not count
    in ``family_size``.
    """
    family = _check_pairs(pairs)
    frames, codes = _aligned(per_query, {m for p in family for m in p}, [metric], clusters)
    table, sums, counts = _paired_columns(frames, family, [metric], codes)
    for col, value in (("ci_low", np.nan), ("ci_high", np.nan), ("p_adj", np.nan), ("significant", False)):
        table[col] = value
    live = np.flatnonzero((table["n"] > 0).to_numpy())
    table["family_size"] = live.size
    table["method"] = _method("max-T", clusters)
    if live.size:
        reps = resample_ratios(sums[:, live], counts[:, live], n_boot=n_boot, seed=seed)
        res = max_t_intervals(reps, table["diff"].to_numpy()[live], alpha=alpha)
        table.loc[live, "ci_low"] = res.low
        table.loc[live, "ci_high"] = res.high
        table.loc[live, "p_adj"] = res.p_adj
        table.loc[live, "significant"] = res.significant
    table["significant"] = table["significant"].astype(bool)
    return table[list(FAMILY_COLUMNS)]


def compare_secondary(per_query: Mapping[str, pd.DataFrame], metrics: Sequence[str],
                      pairs: Sequence[tuple[str, str]], *, clusters: Clusters = None, ci: float = 0.95,
                      n_boot: int = 2000, seed: int = 0) -> pd.DataFrame:
    """Unadjusted paired (cluster) percentile bootstrap CIs for secondary metrics; no verdicts.

    One row per (pair, metric) with SECONDARY_COLUMNS; family = "secondary
    (unadjusted)". Every row is resampled with one shared draw (the same
    clusters for every pair and metric), each interval being the marginal
    percentile interval of its own replicates. These intervals are
    descriptive: with many of them some exclude 0 by chance, so no
    significance column is given.
    """
    family = _check_pairs(pairs)
    if not 0.0 < ci < 1.0:
        raise ConfigError(f"ci must be in (0, 1), got {ci}")
    frames, codes = _aligned(per_query, {m for p in family for m in p}, list(metrics), clusters)
    table, sums, counts = _paired_columns(frames, family, list(metrics), codes)
    table["ci_low"] = table["ci_high"] = np.nan
    live = np.flatnonzero((table["n"] > 0).to_numpy())
    if live.size:
        reps = resample_ratios(sums[:, live], counts[:, live], n_boot=n_boot, seed=seed)
        tail = (1.0 - ci) / 2.0
        bounds = np.nanquantile(reps, [tail, 1.0 - tail], axis=0)
        table.loc[live, "ci_low"] = bounds[0]
        table.loc[live, "ci_high"] = bounds[1]
    table["family"] = SECONDARY_FAMILY
    table["method"] = _method("percentile", clusters)
    return table[list(SECONDARY_COLUMNS)]
