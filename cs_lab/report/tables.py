"""Tables of the results report, built from run metrics and logged artifacts (pandas only)."""

from __future__ import annotations

import html
import re

import numpy as np
import pandas as pd

from cs_lab.report.runs import ExperimentRuns, metric_key

_TEST_KEY = re.compile(r"^test\.(?P<metric>[a-z_]+)_at_(?P<k>\d+)(?:\.(?P<part>repeat|explore))?$")


def metrics_long(runs: ExperimentRuns) -> pd.DataFrame:
    """Every test metric of every model run: columns model, metric, k, value (CI bounds, spreads and
    per-window values excluded). The repeat / explore parts are metrics of their own, e.g.
    ``ndcg.explore``."""
    rows = []
    for model, run in runs.models.items():
        for key, value in run.data.metrics.items():
            m = _TEST_KEY.match(key)
            if m:
                metric = m["metric"] + (f".{m['part']}" if m["part"] else "")
                rows.append({"model": model, "metric": metric, "k": int(m["k"]), "value": float(value)})
    out = pd.DataFrame(rows, columns=["model", "metric", "k", "value"])
    order = {m: i for i, m in enumerate(runs.models)}
    return out.sort_values(["model", "metric", "k"], key=lambda s: s.map(order) if s.name == "model" else s,
                           ignore_index=True)


def leaderboard(runs: ExperimentRuns, metrics: list[str] | None = None) -> pd.DataFrame:
    """One row per model (best objective first): kind, trials and, per metric, the test value with
    its bootstrap 95% CI (``<metric>``, ``<metric> ci_low``, ``<metric> ci_high``)."""
    metrics = metrics or runs.ci_metrics
    rows = []
    for model, run in runs.models.items():
        row = {"model": model, "kind": run.data.tags.get("model", ""),
               "trials": int(float(run.data.params.get("tuning.trials", 0) or 0))}
        for m in metrics:
            key = "test." + metric_key(m)
            row[m] = run.data.metrics.get(key, np.nan)
            row[f"{m} ci_low"] = run.data.metrics.get(f"{key}.ci_low", np.nan)
            row[f"{m} ci_high"] = run.data.metrics.get(f"{key}.ci_high", np.nan)
        rows.append(row)
    return pd.DataFrame(rows)


def format_leaderboard(board: pd.DataFrame, metrics: list[str], digits: int = 4) -> pd.DataFrame:
    """``leaderboard`` with each metric as text "value [low, high]" (for display)."""
    out = board[["model", "kind", "trials"]].copy()
    for m in metrics:
        out[f"{m} (95% CI)"] = [_interval(v, lo, hi, digits) for v, lo, hi in
                                zip(board[m], board[f"{m} ci_low"], board[f"{m} ci_high"])]
    return out


def _interval(v: float, lo: float, hi: float, digits: int) -> str:
    if not np.isfinite(v):
        return ""
    if not (np.isfinite(lo) and np.isfinite(hi)):
        return f"{v:.{digits}f}"
    return f"{v:.{digits}f} [{lo:.{digits}f}, {hi:.{digits}f}]"


def pairwise(comparison: pd.DataFrame, metric: str, models: list[str]) -> dict[str, pd.DataFrame]:
    """Square model x model matrices of the paired comparison on ``metric``: ``diff`` (row minus
    column), ``ci_low`` / ``ci_high`` of that difference, ``p_adj`` (the family's adjusted p: max-T;
    runs before the decision family logged Holm's ``p_holm``) and ``significant`` (1.0 / 0.0). The
    diagonal and untested pairs are NaN."""
    c = comparison[comparison["metric"] == metric]
    if "p_adj" not in c.columns and "p_holm" in c.columns:
        c = c.rename(columns={"p_holm": "p_adj"})
    names = ("diff", "ci_low", "ci_high", "p_adj", "significant")
    out = {n: pd.DataFrame(np.nan, index=pd.Index(models, name="model"), columns=models) for n in names}
    for r in c.itertuples(index=False):
        a, b = r.model_a, r.model_b
        if a not in models or b not in models:
            continue
        sig = float(bool(r.significant))
        for (row, col, sign) in ((a, b, 1.0), (b, a, -1.0)):
            out["diff"].loc[row, col] = sign * r.diff
            lo, hi = (r.ci_low, r.ci_high) if sign > 0 else (-r.ci_high, -r.ci_low)
            out["ci_low"].loc[row, col], out["ci_high"].loc[row, col] = lo, hi
            out["p_adj"].loc[row, col] = r.p_adj
            out["significant"].loc[row, col] = sig
    return out


def segment_table(segments: pd.DataFrame, models: list[str], digits: int = 3) -> pd.DataFrame:
    """segments.csv as one row per (segment_by, segment) with the number of test carts and, per
    model, "mean [low, high]" of the objective."""
    if segments.empty:
        return pd.DataFrame()
    seg = segments.assign(segment=segments["segment"].astype(str))
    cells = seg.assign(cell=[_interval(v, lo, hi, digits) for v, lo, hi in
                             zip(seg["mean"], seg["ci_low"], seg["ci_high"])])
    table = cells.pivot_table(index=["segment_by", "segment"], columns="model", values="cell", aggfunc="first",
                              sort=False)
    n = seg.groupby(["segment_by", "segment"], sort=False)["n"].max()
    table.insert(0, "carts", n.reindex(table.index).astype("int64"))
    metric = str(seg["metric"].iloc[0])
    table.columns = ["carts"] + [f"{m} {metric}" for m in table.columns[1:]]
    keep = ["carts"] + [f"{m} {metric}" for m in models if f"{m} {metric}" in table.columns]
    return table[keep]


def lift_table(simulation: dict) -> pd.DataFrame:
    """The headline rows of simulation.json (the configured test per metric and arm)."""
    head = pd.DataFrame(simulation.get("headline", []))
    if head.empty:
        return head
    cols = ["arm", "metric", "method", "abs_lift", "abs_ci_low", "abs_ci_high", "rel_lift", "rel_ci_low",
            "rel_ci_high", "p_value", "p_holm", "significant", "p_note"]
    return head[[c for c in cols if c in head.columns]]


def rates_table(simulation: dict) -> pd.DataFrame:
    """The simulation's rates: name, role, value, 95% interval, distribution, source, assumption."""
    rates = pd.DataFrame(simulation.get("rates", []))
    if rates.empty:
        return rates
    cols = ["name", "role", "value", "ci_low", "ci_high", "distribution", "assumption", "source"]
    return rates[[c for c in cols if c in rates.columns]]


def assumptions_paragraph(simulation: dict) -> str:
    """One short paragraph: what the lifts above assume, with the rates that drive them."""
    rates = simulation.get("rates", [])
    assumed = [r["name"] for r in rates if r.get("assumption")]
    fallback = [r["name"] for r in rates if "FALLBACK" in str(r.get("source", ""))]
    draws = simulation.get("draws")
    parts = ["Hidden items are the demand; an offer only counts when it makes the customer buy a hidden item "
             "they would not have bought anyway (accepted and not organic)",
             f"organic purchases: {simulation.get('organic', 'constant organic_rate')}"]
    if rates:
        parts.append("acceptance = examination(slot) x take, drawn from "
                     + ", ".join(f"{r['name']} ({r['value']:.3g})" for r in rates if r.get("distribution") != "derived"))
    if assumed:
        parts.append("not informed by any data: " + ", ".join(assumed))
    if fallback:
        parts.append("FALLBACK assumptions (prior file missing): " + ", ".join(fallback))
    parts.append(f"intervals include sampling and rate uncertainty ({draws['n']} draws)" if draws
                 else "intervals hold sampling uncertainty only (no rate draws)")
    return "Assumptions: " + "; ".join(parts) + "."


def tradeoff(long: pd.DataFrame, objective: str, beyond: tuple[str, ...] = ("coverage", "novelty")
             ) -> pd.DataFrame:
    """Per model: the objective and the beyond-accuracy metrics at the objective's K."""
    name, rest = objective.split("@")
    k, _, part = rest.partition(".")
    name = f"{name}.{part}" if part else name          # ndcg@10.explore -> metric ndcg.explore at k 10
    at_k = long[long["k"] == int(k)]
    wide = at_k.pivot_table(index="model", columns="metric", values="value", sort=False)
    cols = [c for c in (name, *beyond) if c in wide.columns]
    out = wide[cols].rename(columns={c: objective if c == name else f"{c}@{k}" for c in cols}).reset_index()
    out.columns.name = None
    return out


def repeat_explore(runs: ExperimentRuns, metrics: list[str] | None = None) -> pd.DataFrame:
    """One row per model: each metric overall, on the hidden items the customer had bought before
    (repeat) and on the new ones (explore), plus the repeat share of the recommended list, from the
    model runs' pooled test metrics. Reminders score on repeat; cross-sell is the explore column."""
    base = (metrics or [runs.objective])
    base = [m.split(".")[0] for m in base]           # ndcg@10.explore -> ndcg@10
    k = base[0].split("@")[1]
    rows = []
    for model, run in runs.models.items():
        m = run.data.metrics
        row = {"model": model}
        for name in dict.fromkeys(base):
            for part in ("", ".repeat", ".explore"):
                row[name + part] = m.get("test." + metric_key(name) + part, np.nan)
        row[f"repeat_share@{k}"] = m.get(f"test.repeat_share_at_{k}", np.nan)
        rows.append(row)
    return pd.DataFrame(rows)


def tidy(df: pd.DataFrame, digits: int = 4, n_boot: int | None = None):
    """A table as a report shows it: columns that are entirely empty dropped, every float with the same
    number of decimals, p-value columns (``p``, ``p_*``) as bootstrap p-values ('<1/B', never 0).
    Returns (styled table, dropped column names) so the caller can say why columns are missing."""
    from cs_lab.experiment.format import fmt_p

    dropped = [c for c in df.columns if len(df) and df[c].isna().all()]
    out = df.drop(columns=dropped).reset_index(drop=True)
    fmt = {}
    for c in out.columns:
        if c == "p" or str(c).startswith("p_"):
            fmt[c] = lambda v: _p_cell(v, n_boot)
        elif pd.api.types.is_float_dtype(out[c]):
            fmt[c] = lambda v, d=digits: "" if pd.isna(v) else f"{v:.{d}f}"
    return out.style.format(fmt).hide(axis="index"), dropped


def _p_cell(v, n_boot: int | None) -> str:
    """A p-value cell: '<1/B' for a bootstrap p (HTML-escaped); text (e.g. why there is no p-value) as is."""
    from cs_lab.experiment.format import fmt_p

    if isinstance(v, str):
        return html.escape(v)
    if v is None or pd.isna(v):
        return ""
    return html.escape(fmt_p(float(v), n_boot))
