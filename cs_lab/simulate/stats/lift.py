"""The lift table: every arm vs the control, per metric, by each method.

Methods (column ``method``):
  z-test            0/1 metrics (conversion, offer_conversion): two-proportion z-test
  welch             continuous metrics (revenue, order value, margin): Welch's t-test
  bootstrap         Poisson bootstrap percentile interval (abs and relative), percentile p-value
  cuped-welch       Welch's t-test on CUPED-adjusted values (any metric)
  cuped-bootstrap   bootstrap of CUPED-adjusted values
``p_holm`` adjusts the p-values of one (metric, method) across the non-control arms (Holm).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np
import pandas as pd

from cs_lab.eval.stats.correction import holm
from cs_lab.simulate.stats.analytic import LiftEstimate, cluster_ztest, two_proportion_ztest, welch_test
from cs_lab.simulate.stats.bootstrap import bootstrap_pvalue, percentile_interval, poisson_bootstrap_means
from cs_lab.simulate.stats.cuped import cuped_theta, variance_reduction

BINARY_METRICS = frozenset({"conversion", "offer_conversion", "incremental_conversion"})
LIFT_COLUMNS = ("arm", "control", "metric", "method", "cuped", "n_arm", "n_control", "mean_arm",
                "mean_control", "abs_lift", "abs_ci_low", "abs_ci_high", "rel_lift", "rel_ci_low",
                "rel_ci_high", "p_value", "p_holm", "significant", "variance_reduction", "theta")


def lift_table(values: dict[str, np.ndarray], arm: np.ndarray, names: Sequence[str], control: int, *,
               alpha: float = 0.05, n_bootstrap: int = 0, seed: int = 0,
               covariate: np.ndarray | None = None, clusters: np.ndarray | None = None) -> pd.DataFrame:
    """values: metric name -> (n,) per-session values (finite); arm: (n,) arm index per session.
    With ``covariate`` every metric is also compared after CUPED adjustment. With ``clusters`` (the
    unit of randomisation, e.g. the customer of each session) the analytic rows are cluster-robust
    z-tests ("cluster-z") and the bootstrap resamples clusters."""
    metrics = list(values)
    cols = {m: np.asarray(values[m], dtype=np.float64) for m in metrics}
    cuped: dict[str, tuple[np.ndarray, float, float]] = {}
    if covariate is not None:
        x = np.asarray(covariate, dtype=np.float64)
        for m in metrics:
            theta = cuped_theta(cols[m], x, arm)
            adj = cols[m] - theta * (x - x.mean())
            cuped[m] = (adj, theta, variance_reduction(cols[m], adj, arm))
    rows: list[dict] = []
    idx = {a: np.flatnonzero(arm == a) for a in range(len(names))}
    ic = idx[control]
    treated = [a for a in range(len(names)) if a != control and len(idx[a])]
    for a in treated:
        ia = idx[a]
        for m in metrics:
            y = cols[m]
            if clusters is not None:
                est = cluster_ztest(y[ia], clusters[ia], y[ic], clusters[ic], alpha)
            elif m in BINARY_METRICS:
                est = two_proportion_ztest(float(y[ia].sum()), len(ia), float(y[ic].sum()), len(ic), alpha)
            else:
                est = welch_test(y[ia], y[ic], alpha)
            rows.append(_row(names[a], names[control], m, est, False))
            if m in cuped:
                adj, theta, vr = cuped[m]
                est = (cluster_ztest(adj[ia], clusters[ia], adj[ic], clusters[ic], alpha, method="cuped-cluster-z")
                       if clusters is not None else welch_test(adj[ia], adj[ic], alpha, method="cuped-welch"))
                if y[ic].mean() == 0:
                    est = replace(est, rel_lift=np.nan, rel_low=np.nan, rel_high=np.nan)
                rows.append(_row(names[a], names[control], m, est, True, vr, theta))
    if n_bootstrap > 0 and treated:
        rows += _bootstrap_rows(cols, cuped, idx, names, control, treated, alpha, n_bootstrap, seed, clusters)
    out = pd.DataFrame(rows, columns=[c for c in LIFT_COLUMNS if c not in ("p_holm", "significant")])
    p_holm = np.full(len(out), np.nan)
    if len(out):
        family = pd.factorize(np.array([f"{r['metric']}|{r['method']}" for r in rows], dtype=object))[0]
        pv = out["p_value"].to_numpy(dtype=np.float64)
        for f in range(family.max() + 1):
            sel = np.flatnonzero(family == f)
            p_holm[sel] = holm(pv[sel])
    out["p_holm"] = p_holm
    out["significant"] = p_holm < alpha
    return out[list(LIFT_COLUMNS)]


def _row(arm: str, control: str, metric: str, est: LiftEstimate, is_cuped: bool, vr: float = np.nan,
         theta: float = np.nan) -> dict:
    return {"arm": arm, "control": control, "metric": metric, "method": est.method, "cuped": is_cuped,
            "n_arm": est.n_arm, "n_control": est.n_control, "mean_arm": est.mean_arm,
            "mean_control": est.mean_control, "abs_lift": est.abs_lift, "abs_ci_low": est.abs_low,
            "abs_ci_high": est.abs_high, "rel_lift": est.rel_lift, "rel_ci_low": est.rel_low,
            "rel_ci_high": est.rel_high, "p_value": est.p_value, "variance_reduction": vr, "theta": theta}


def _bootstrap_rows(cols, cuped, idx, names, control, treated, alpha, n_boot, seed, clusters=None) -> list[dict]:
    metrics = list(cols)
    labels = [(m, False) for m in metrics] + [(m, True) for m in cuped]
    mat = np.column_stack([cols[m] for m in metrics] + [cuped[m][0] for m in cuped])
    reps = {a: poisson_bootstrap_means(mat[idx[a]], n_boot, np.random.SeedSequence([seed, 0xB007, a]),
                                       clusters=None if clusters is None else clusters[idx[a]])
            for a in [control, *treated]}
    rc = reps[control]
    raw_control = np.array([cols[m][idx[control]].mean() for m, _ in labels])
    rows = []
    for a in treated:
        ra = reps[a]
        diff = ra - rc
        dlo, dhi = percentile_interval(diff, alpha)
        rlo, rhi = np.full(len(labels), np.nan), np.full(len(labels), np.nan)
        ok = (rc != 0).all(axis=0) & (raw_control != 0)
        if ok.any():
            rlo[ok], rhi[ok] = percentile_interval(ra[:, ok] / rc[:, ok] - 1.0, alpha)
        pv = bootstrap_pvalue(diff)
        for j, (m, is_cuped) in enumerate(labels):
            ma, mc = float(mat[idx[a], j].mean()), float(mat[idx[control], j].mean())
            est = LiftEstimate("cuped-bootstrap" if is_cuped else "bootstrap", len(idx[a]), len(idx[control]),
                               ma, mc, ma - mc, float(dlo[j]), float(dhi[j]),
                               ma / mc - 1.0 if ok[j] else np.nan, float(rlo[j]), float(rhi[j]), float(pv[j]))
            vr, theta = (cuped[m][2], cuped[m][1]) if is_cuped else (np.nan, np.nan)
            rows.append(_row(names[a], names[control], m, est, is_cuped, vr, theta))
    return rows
