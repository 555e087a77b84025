"""Console text of a run: the leaderboard (mean ± spread over windows; overall / repeat / explore),
the decision family, secondary metrics, the verdict and the simulated A/B test."""

from __future__ import annotations

import numpy as np
import pandas as pd


def fmt_p(p: float, n_boot: int | None = None) -> str:
    """A bootstrap p-value: '<1/B' when no replicate reached the observed statistic (never '0')."""
    if not np.isfinite(p):
        return ""
    if n_boot and p < 1.0 / n_boot:
        return f"<{1.0 / n_boot:.2g}"
    return f"{p:.3g}"


def _fmt(v) -> str:
    if isinstance(v, (float, np.floating)):
        return "" if np.isnan(v) else f"{v:.4f}"
    return str(v)


def _table(columns: list[str], rows: list[list[str]]) -> list[str]:
    widths = [max(len(c), *(len(r[i]) for r in rows)) if rows else len(c) for i, c in enumerate(columns)]
    out = ["  ".join(c.ljust(w) for c, w in zip(columns, widths))]
    out += ["  ".join(v.ljust(w) for v, w in zip(r, widths)) for r in rows]
    return out


def _pm(board_row: pd.Series, col: str) -> str:
    v, sd = board_row.get(col, np.nan), board_row.get(f"{col} sd", np.nan)
    if not np.isfinite(v):
        return ""
    return f"{v:.4f}" + (f" ±{sd:.4f}" if np.isfinite(sd) else "")


def format_leaderboard(board: pd.DataFrame, spec, shown: list[str] | None = None, counts: str = "") -> str:
    """Models in validation order (best first). Each metric: the pooled test mean ± the standard
    deviation of the window means, then its repeat and explore parts."""
    obj = spec.metrics.objective
    shown = shown or [c for c in dict.fromkeys([obj, *spec.comparison.metrics]) if c in board.columns]
    cols = ["model", f"valid {obj}"]
    for c in shown:
        cols.append(c + " (±sd)")
        cols += [c + p for p in (".repeat", ".explore") if c + p in board.columns]
    extra = [c for c in board.columns if c.startswith(("repeat_share@", "fill_rate@")) and " " not in c]
    cols += extra + ["trials", "seeds"]
    rows = []
    for _, r in board.iterrows():
        row = [str(r["model"]), _fmt(r[f"valid {obj}"])]
        for c in shown:
            row.append(_pm(r, c))
            row += [_fmt(r[c + p]) for p in (".repeat", ".explore") if c + p in board.columns]
        row += [_fmt(r[c]) for c in extra] + [str(int(r["trials"])), str(int(r["seeds"]))]
        rows.append(row)
    title = (f"Leaderboard: {spec.name} ({spec.dataset}, "
             f"{'next basket, ' if spec.task.kind == 'next_basket' else ''}"
             f"{'explore' if spec.task.explore else 'standard'} task; "
             f"ordered by validation {obj}; test = pooled over {spec.split.windows} window(s), ±sd of window means)")
    return "\n".join([title] + ([counts] if counts else []) + _table(cols, rows))


def format_family(family: pd.DataFrame, alpha: float, resample: str, n_boot: int | None = None) -> str:
    m = family["metric"].iloc[0]
    head = (f"Decision family: {len(family)} comparisons (each model vs each baseline) on {m}; "
            f"simultaneous {1 - alpha:.0%} max-T bootstrap intervals, {resample} resampled; "
            "a decision is exactly 'the interval excludes 0'")
    rows = [[r.model_a, r.model_b, f"{r.diff:+.4f}", f"[{r.ci_low:+.4f}, {r.ci_high:+.4f}]", fmt_p(r.p_adj, n_boot),
             r.decision] for r in family.itertuples(index=False)]
    return "\n".join([head] + _table(["model", "vs baseline", "diff", "simultaneous CI", "adj. p", "decision"], rows))


def format_secondary(sec: pd.DataFrame, duplicates: dict[str, str]) -> str:
    head = "Secondary metrics (outside the decision family: unadjusted 95% intervals, no verdicts)"
    rows = [[r.model_a, r.model_b, r.metric, f"{r.diff:+.4f}", f"[{r.ci_low:+.4f}, {r.ci_high:+.4f}]"]
            for r in sec.itertuples(index=False)]
    lines = [head] + _table(["model", "vs", "metric", "diff", "95% CI"], rows)
    lines += [f"({a} is identical to {b} for every model here, so it is listed once)" for a, b in duplicates.items()]
    return "\n".join(lines)


def format_simulation(res) -> str:
    arms = res.arms
    cols = [c for c in ("arm", "n", "conversion", "offer_conversion", "revenue_per_session", "order_value")
            if c in arms.columns]
    lines = ["Simulated A/B test (per arm):", "  ".join(f"{c:>20}" for c in cols)]
    for rec in arms[cols].itertuples(index=False):
        lines.append("  ".join(f"{_fmt(v):>20}" for v in rec))
    head = res.headline()
    if len(head):
        lines.append("A/B lift vs control (" + str(head["method"].iloc[0]) + f", {1 - res.config.alpha:.0%} CI):")
        lines += [_lift_line(r) for r in head.itertuples(index=False)]
    cf = getattr(res, "counterfactual", None)
    if cf is not None and len(cf):
        lines.append("Paired counterfactual (every session under every arm; no assignment noise):")
        lines += [_lift_line(r) for r in cf.itertuples(index=False) if r.arm != r.control]
    return "\n".join(lines)


def _lift_line(r) -> str:
    if np.isfinite(r.rel_lift):
        est = f"{r.rel_lift:+.2%}  [{r.rel_ci_low:+.2%}, {r.rel_ci_high:+.2%}]"
    else:  # the control's mean is 0 (e.g. offer conversion): absolute lift
        est = f"{r.abs_lift:+.4f} abs [{r.abs_ci_low:+.4f}, {r.abs_ci_high:+.4f}]"
    return f"  {r.arm:<16} {r.metric:<20} {est}  p={r.p_value:.4g}"
