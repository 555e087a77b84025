"""Calibration of the organic model on held-out validation customers: reliability curve, Brier score.

The check rows are those of ``OrganicModel.check_`` (visits of customers kept out of the fit). The
weighted numbers describe all (customer, item) pairs (sampled new-item negatives carry their
weights); the repeat-only numbers describe the items the customer bought before, where the model
matters most. ``brier_skill`` = 1 - Brier / Brier of the constant base rate (0 = no better than the
base rate, 1 = perfect).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd


def _brier(p: np.ndarray, y: np.ndarray, w: np.ndarray) -> tuple[float, float]:
    if w.sum() == 0:
        return float("nan"), float("nan")
    b = float(np.average((p - y) ** 2, weights=w))
    base = float(np.average(y, weights=w))
    b0 = base * (1 - base)
    return b, (1 - b / b0) if b0 > 0 else float("nan")


def reliability(p: np.ndarray, y: np.ndarray, w: np.ndarray, bins: int = 10) -> pd.DataFrame:
    """Weighted mean predicted vs observed rate per bin of predicted probability (quantile bins of
    the positive-weight rows, so sparse high-probability regions still get bins)."""
    edges = np.unique(np.quantile(p, np.linspace(0, 1, bins + 1)))
    idx = np.clip(np.searchsorted(edges, p, side="right") - 1, 0, max(len(edges) - 2, 0))
    rows = []
    for b in np.unique(idx):
        m = idx == b
        rows.append({"bin": int(b), "n": int(m.sum()), "weight": float(w[m].sum()),
                     "predicted": float(np.average(p[m], weights=w[m])),
                     "observed": float(np.average(y[m], weights=w[m]))})
    return pd.DataFrame(rows)


def calibration_report(model, bins: int = 10) -> dict:
    """Brier score, skill and reliability table, overall (weighted) and on repeat items."""
    c = model.check_
    p, y, w, rep = c["p"], c["y"], c["w"], c["repeat"]
    b_all, s_all = _brier(p, y, w)
    b_rep, s_rep = _brier(p[rep], y[rep], np.ones(int(rep.sum())))
    return {"brier": b_all, "brier_skill": s_all, "brier_repeat": b_rep, "brier_skill_repeat": s_rep,
            "rows": int(len(p)), "repeat_rows": int(rep.sum()), "positives": int(y.sum()),
            "reliability": reliability(p, y, w, bins), "reliability_repeat":
            reliability(p[rep], y[rep], np.ones(int(rep.sum())), bins) if rep.any() else pd.DataFrame()}


def plot_reliability(report: dict, path: str | Path | None = None, title: str = "organic model"):
    """Reliability curve (predicted vs observed per bin, log-log) with the diagonal; returns the Figure."""
    from cs_lab.simulate.plots import _pyplot, _save

    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(5, 4.5))
    for key, label in (("reliability", f"all pairs (Brier {report['brier']:.2g})"),
                       ("reliability_repeat", f"repeat items (Brier {report['brier_repeat']:.3f})")):
        r = report[key]
        if len(r):
            ax.plot(r["predicted"], r["observed"], "o-", label=label)
    lo = max(1e-5, min(float(report["reliability"]["predicted"].min()), 1e-3))
    ax.plot([lo, 1], [lo, 1], "k--", lw=0.8, label="perfect calibration")
    ax.set_xscale("log")
    ax.set_yscale("symlog", linthresh=lo)
    ax.set_xlabel("predicted P(bought without offer)")
    ax.set_ylabel("observed share bought")
    ax.set_title(f"{title}: reliability on held-out validation customers", fontsize=9)
    ax.legend(fontsize=7)
    _save(fig, path)
    return fig
