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


#: one sentence beside the two A/B views (console and results report)
READ_TOGETHER = ("How to read the two: the randomised A/B is what a live test of this size would measure (each "
                 "session sees one arm, so assignment noise widens its interval), while the paired counterfactual "
                 "scores every session under every arm and shows the effect the simulation predicts without that "
                 "noise; an effect clear of 0 in the counterfactual but not in the randomised test is real in the "
                 "simulation yet too small for a test of this size to detect.")

METRIC_WORDS = {"incremental_conversion": "incremental conversion", "conversion": "conversion",
                "offer_conversion": "offer conversion", "incremental_revenue": "incremental revenue per session",
                "addon_revenue": "add-on revenue per session", "order_value": "order value", "margin": "margin"}


def certainty_words(p: float) -> str:
    """How sure, in words, from P(B beats A) across the draws."""
    q = max(p, 1 - p)
    return ("almost surely" if q >= 0.99 else "very likely" if q >= 0.95 else "probably" if q >= 0.8
            else "cannot tell")


def format_rates(res) -> list[str]:
    """The rates the simulation used, with their intervals and sources (assumptions marked)."""
    lines = []
    if res.rates is not None and len(res.rates.sources):
        lines.append("Rates (value, 95% interval, source; * = assumption no data informs):")
        for r in res.rates.sources.itertuples(index=False):
            iv = "" if not np.isfinite(r.ci_low) else f" [{r.ci_low:.3g}, {r.ci_high:.3g}]"
            lines.append(f"  {'*' if r.assumption else ' '} {r.name:<28} {r.value:.3g}{iv}  {r.role}; {r.source}")
    lines.append(f"  organic: {res.organic_source}" if res.organic_source != "constant organic_rate"
                 else f"  * organic_rate {res.config.organic_rate:.3g} (constant, configured)")
    return lines


def format_verdict(res, primary: str = "incremental_conversion") -> list[str]:
    """Which arm wins and how sure we are, in words (from the parameter-bootstrap draws)."""
    d = res.draws
    if d is None:
        return [f"(no rate draws: simulation.rate_draws is 0, so the intervals hold sampling uncertainty only)"]
    out = [f"Verdict ({d.n_draws} draws: rates from their priors + customers resampled; {d.level:.0%} intervals "
           "include sampling AND rate uncertainty):"]
    metric = primary if (d.pairs["metric"] == primary).any() else d.pairs["metric"].iloc[0]
    words = METRIC_WORDS.get(metric, metric)
    for r in d.pairs[d.pairs["metric"] == metric].itertuples(index=False):
        win, lose, p = (r.arm_b, r.arm_a, r.p_b_beats_a) if r.diff >= 0 else (r.arm_a, r.arm_b, 1 - r.p_b_beats_a)
        sign = 1 if r.diff >= 0 else -1
        lo, hi = sorted((sign * r.ci_low, sign * r.ci_high))
        sure = certainty_words(p)
        head = (f"{win} beats {lose} on {words} in {p:.0%} of draws ({sure})" if sure != "cannot tell" else
                f"{win} vs {lose} on {words}: cannot tell ({win} ahead in {p:.0%} of draws)")
        out.append(f"  {head}; {sign * r.diff:+.4f} [{lo:+.4f}, {hi:+.4f}]")
    rk = d.ranking.set_index("metric")
    if metric in rk.index:
        r = rk.loc[metric]
        best = max(r["p_best"], key=r["p_best"].get)
        out.append(f"  ranking on {words}: {r['ranking']}; the same ranking in {r['same_ranking']:.0%} of draws "
                   f"(changes in {r['ranking_changes']:.0%}); {best} is best in {r['p_best'][best]:.0%}")
    return out


def format_simulation(res) -> str:
    arms = res.arms
    cols = [c for c in ("arm", "n", "conversion", "offer_conversion", "revenue_per_session", "order_value",
                        "net_margin_per_session", "threshold_reached", "benefit_cost_per_session")
            if c in arms.columns and (c in ("arm", "n") or arms[c].notna().any())
            and not (c in ("threshold_reached", "benefit_cost_per_session") and not (arms[c].fillna(0) != 0).any())]
    lines = ["Simulated A/B test (per arm, at the point rates):", "  ".join(f"{c:>20}" for c in cols)]
    for rec in arms[cols].itertuples(index=False):
        lines.append("  ".join(f"{_fmt(v):>20}" for v in rec))
    if res.draws is not None:
        inc = res.draws.arms[res.draws.arms["metric"] == "incremental_conversion"]
        if len(inc):
            lines.append("Incremental conversion (every session under each arm; interval: sampling + rates):")
            lines += [f"  {r.arm:<16} {r.value:.4f} [{r.ci_low:.4f}, {r.ci_high:.4f}]" for r in inc.itertuples()]
    lines += format_rates(res)
    lines += format_verdict(res)
    head = res.headline()
    if len(head):
        meth = str(head["method"].iloc[0])
        lines.append(f"A/B lift vs control ({meth}, {1 - res.config.alpha:.0%} CI"
                     + ("; sampling + rate uncertainty, intervals only" if meth == "bootstrap+rates" else "") + "):")
        lines += [_lift_line(r) for r in head.itertuples(index=False)]
    cf = getattr(res, "counterfactual", None)
    if cf is not None and len(cf):
        notes = set(cf["p_note"]) if "p_note" in cf.columns else set()
        shared = next(iter(notes)) if len(notes) == 1 and next(iter(notes)) else ""
        lines.append("Paired counterfactual (every session under every arm; no assignment noise; sampling only"
                     + (f"; {shared}" if shared else "") + "):")
        lines += [_lift_line(r._replace(p_note="interval only") if shared else r)
                  for r in cf.itertuples(index=False) if r.arm != r.control]
        if len(head):
            lines.append(READ_TOGETHER)
    return "\n".join(lines)


def _lift_line(r) -> str:
    if np.isfinite(r.rel_lift):
        est = f"{r.rel_lift:+.2%}  [{r.rel_ci_low:+.2%}, {r.rel_ci_high:+.2%}]"
    else:  # the control's mean is 0 (e.g. offer conversion): absolute lift
        est = f"{r.abs_lift:+.4f} abs [{r.abs_ci_low:+.4f}, {r.abs_ci_high:+.4f}]"
    note = getattr(r, "p_note", "") or ""
    p = (f"p={r.p_value:.4g}" if np.isfinite(r.p_value) else "" if note.startswith("interval only")
         else f"({note})" if note else "")
    return f"  {r.arm:<16} {r.metric:<22} {est}  {p}"
