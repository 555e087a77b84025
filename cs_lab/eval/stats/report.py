"""Plain-text and Markdown rendering of comparison and summary tables."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
import pandas as pd

Format = Literal["markdown", "text"]


def _cell(value: object, digits: int) -> str:
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    if isinstance(value, (float, np.floating)):
        if np.isnan(value):
            return "-"
        return f"{value:.{digits}f}"
    return str(value)


def _pvalue(p: float) -> str:
    if np.isnan(p):
        return "-"
    return "<1e-4" if p < 1e-4 else f"{p:.4f}"


def render_table(rows: Sequence[Sequence[str]], header: Sequence[str], fmt: Format = "markdown") -> str:
    """Rows of strings as a Markdown table or as aligned plain text."""
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(header)]
    if fmt == "markdown":
        lines = ["| " + " | ".join(h.ljust(w) for h, w in zip(header, widths)) + " |",
                 "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
        lines += ["| " + " | ".join(c.ljust(w) for c, w in zip(r, widths)) + " |" for r in rows]
    else:
        lines = ["  ".join(h.ljust(w) for h, w in zip(header, widths)),
                 "  ".join("-" * w for w in widths)]
        lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths)) for r in rows]
    return "\n".join(line.rstrip() for line in lines)


def render_comparison(table: pd.DataFrame, fmt: Format = "markdown", digits: int = 4) -> str:
    """Render ``compare_models`` output: means, difference with CI, raw and Holm p-values."""
    header = ["model A", "model B", "metric", "n", "mean A", "mean B", "diff [CI]",
              "p (t)", "p (Wilcoxon)", "p (Holm)", "sig."]
    rows = []
    for r in table.itertuples(index=False):
        rows.append([str(r.model_a), str(r.model_b), str(r.metric), str(r.n),
                     _cell(r.mean_a, digits), _cell(r.mean_b, digits),
                     f"{r.diff:+.{digits}f} [{r.ci_low:+.{digits}f}, {r.ci_high:+.{digits}f}]",
                     _pvalue(r.p_t), _pvalue(r.p_wilcoxon), _pvalue(r.p_holm),
                     "*" if r.significant else ""])
    return render_table(rows, header, fmt)


def render_frame(frame: pd.DataFrame, fmt: Format = "markdown", digits: int = 4,
                 index: bool = True) -> str:
    """Render any small DataFrame (e.g. ``EvalResult.summary_frame()`` or a segment breakdown)."""
    header = ([str(frame.index.name or "")] if index else []) + [str(c) for c in frame.columns]
    rows = []
    for label, values in zip(frame.index, frame.itertuples(index=False)):
        cells = [_cell(v, digits) for v in values]
        rows.append(([str(label)] if index else []) + cells)
    return render_table(rows, header, fmt)


def render_family(table: pd.DataFrame, fmt: Format = "markdown", digits: int = 4) -> str:
    """Render ``compare_family`` output: diff with its simultaneous CI, max-T adjusted p, verdict."""
    header = ["model A", "model B", "metric", "n", "mean A", "mean B", "diff [simultaneous CI]",
              "p (max-T)", "sig."]
    rows = []
    for r in table.itertuples(index=False):
        rows.append([str(r.model_a), str(r.model_b), str(r.metric), str(r.n),
                     _cell(r.mean_a, digits), _cell(r.mean_b, digits),
                     f"{r.diff:+.{digits}f} [{r.ci_low:+.{digits}f}, {r.ci_high:+.{digits}f}]",
                     _pvalue(r.p_adj), "*" if r.significant else ""])
    sizes = sorted(set(table["family_size"])) if len(table) else []
    methods = sorted(set(table["method"])) if len(table) else []
    note = f"\n\nFamily of {', '.join(map(str, sizes))} comparison(s); {', '.join(methods)}; " \
           "* = the simultaneous CI excludes 0 (same as p (max-T) <= alpha)."
    return render_table(rows, header, fmt) + (note if len(table) else "")


def render_secondary(table: pd.DataFrame, fmt: Format = "markdown", digits: int = 4) -> str:
    """Render ``compare_secondary`` output: diff with an unadjusted CI and no verdict."""
    header = ["model A", "model B", "metric", "n", "mean A", "mean B", "diff [unadjusted CI]"]
    rows = [[str(r.model_a), str(r.model_b), str(r.metric), str(r.n), _cell(r.mean_a, digits),
             _cell(r.mean_b, digits),
             f"{r.diff:+.{digits}f} [{r.ci_low:+.{digits}f}, {r.ci_high:+.{digits}f}]"]
            for r in table.itertuples(index=False)]
    return render_table(rows, header, fmt) + "\n\nSecondary metrics (unadjusted): descriptive, no verdicts."
