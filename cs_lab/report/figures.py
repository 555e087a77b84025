"""Figures of the results report. Each function takes report tables and returns a
``matplotlib.figure.Figure`` built with the object-oriented API (no pyplot, so no global figure
state and no backend switch inside a notebook)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.colors import TwoSlopeNorm
from matplotlib.figure import Figure

UNITS = {
    "ndcg": "mean over test carts, 0-1", "hit_rate": "share of test carts", "recall": "mean over test carts, 0-1",
    "precision": "mean over test carts, 0-1", "mrr": "mean reciprocal rank, 0-1", "map": "mean over test carts, 0-1",
    "revenue": "currency units per cart", "addon_value": "currency units per cart",
    "margin": "currency units per cart", "coverage": "share of catalogue, 0-1",
    "novelty": "bits, -log2 popularity share", "diversity": "intra-list, 0-1",
    "popularity_bias": "popularity percentile, 0-1",
}


def metric_label(name: str) -> str:
    """``ndcg@10`` -> ``ndcg@10 (mean over test carts, 0-1)``."""
    unit = UNITS.get(name.split("@")[0].split(".")[0])
    return f"{name} ({unit})" if unit else name


MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*", "h", "<", ">", "p")


def model_colors(models: list[str]) -> dict[str, tuple]:
    """A fixed colour per model (tab10, then tab20), so every figure uses the same one."""
    from matplotlib import colormaps

    cmap = colormaps["tab10" if len(models) <= 10 else "tab20"]
    return {m: cmap(i % cmap.N) for i, m in enumerate(models)}


def _grid(n: int, ncols: int, panel: tuple[float, float], extra_w: float = 0.0, extra_h: float = 0.6):
    """A constrained-layout Figure with ``n`` panels on rows of ``ncols``; unused axes hidden."""
    n = max(n, 1)
    cols = min(n, ncols)
    rows = -(-n // cols)
    fig = Figure(figsize=(panel[0] * cols + extra_w, panel[1] * rows + extra_h), layout="constrained")
    axes = fig.subplots(rows, cols, squeeze=False).ravel()
    for ax in axes[n:]:
        ax.set_visible(False)
    return fig, list(axes[:n])


def _note(ax, text: str) -> None:
    ax.text(0.5, 0.5, text, ha="center", va="center", transform=ax.transAxes, fontsize=10, color="0.35",
            wrap=True)
    ax.set_xticks([])
    ax.set_yticks([])


def leaderboard_ci(board: pd.DataFrame, metrics: list[str], title: str = "") -> Figure:
    """Forest plot: one panel per metric, one row per model (best first), test value and its
    bootstrap 95% CI."""
    n = len(board)
    fig = Figure(figsize=(4.2 * len(metrics) + 1.2, 0.45 * n + 1.8), layout="constrained")
    axes = fig.subplots(1, len(metrics), sharey=True, squeeze=False)[0]
    colors = model_colors(list(board["model"]))
    y = np.arange(n)[::-1]
    for ax, m in zip(axes, metrics):
        v, lo, hi = (board[c].to_numpy(dtype=float) for c in (m, f"{m} ci_low", f"{m} ci_high"))
        err = np.vstack([v - lo, hi - v])
        for i, model in enumerate(board["model"]):
            ax.errorbar(v[i], y[i], xerr=err[:, i:i + 1], fmt="o", color=colors[model], capsize=4, ms=6)
        ax.set_xlabel(metric_label(m))
        ax.set_title(m)
        ax.grid(axis="x", alpha=0.3)
        ax.set_xlim(left=min(0.0, np.nanmin(lo) if np.isfinite(lo).any() else 0.0))
    axes[0].set_yticks(y, board["model"])
    axes[0].set_ylabel("model (best objective at top)")
    fig.suptitle(title or "Leaderboard: test metrics with bootstrap 95% confidence intervals")
    return fig


def significance_heatmap(matrices: dict[str, pd.DataFrame], metric: str, alpha: float = 0.05,
                         title: str = "", cap: float = 6.0) -> Figure:
    """The decision family on ``metric`` (each model vs each baseline): colour = sign(row - column) x
    -log10(adjusted p) (capped at ``cap``), text = the mean difference row - column, * where the
    simultaneous interval excludes 0 (the same decision as adjusted p <= alpha)."""
    diff, p = matrices["diff"], matrices["p_adj"]
    models = list(diff.index)
    n = len(models)
    with np.errstate(divide="ignore"):
        score = np.sign(diff.to_numpy(float)) * np.minimum(-np.log10(p.to_numpy(float)), cap)
    fig = Figure(figsize=(1.0 * n + 3.2, 0.75 * n + 2.2), layout="constrained")
    ax = fig.subplots()
    im = ax.imshow(np.ma.masked_invalid(score), cmap="PiYG", norm=TwoSlopeNorm(0.0, -cap, cap))
    ax.set_facecolor("0.9")
    for i in range(n):
        for j in range(n):
            if i == j:
                ax.text(j, i, "-", ha="center", va="center", color="0.4")
            elif np.isfinite(diff.iat[i, j]):
                star = "*" if matrices["significant"].iat[i, j] == 1.0 else ""
                ax.text(j, i, f"{diff.iat[i, j]:+.3g}{star}", ha="center", va="center", fontsize=8,
                        color="white" if abs(score[i, j]) > 0.75 * cap else "black")
    ax.set_xticks(range(n), models, rotation=40, ha="right")
    ax.set_yticks(range(n), models)
    ax.set_xlabel("model B (column)")
    ax.set_ylabel("model A (row)")
    bar = fig.colorbar(im, ax=ax, shrink=0.85)
    thr = -np.log10(alpha)
    bar.set_label("sign(A - B) x -log10(adjusted p, max-T)")
    for t in (-thr, thr):
        bar.ax.axhline(t, color="black", lw=0.8, ls="--")
    fig.supxlabel(f"green: row model A better, pink: column model B better\n"
                  f"dashed lines on the colour bar: p = {alpha:g}; colour capped at p = 1e-{cap:g}", fontsize=8)
    ax.set_title(title or f"Pairwise paired tests on {metric}\ncell = mean difference A - B, "
                          f"* = simultaneous {100 * (1 - alpha):.0f}% interval excludes 0", fontsize=11)
    return fig


def metrics_vs_k(long: pd.DataFrame, metrics: tuple[str, ...] = ("ndcg", "hit_rate", "recall", "revenue"),
                 title: str = "") -> Figure:
    """One panel per metric: test value against the cut-off K, one line per model."""
    metrics = [m for m in metrics if (long["metric"] == m).any()]
    models = list(dict.fromkeys(long["model"]))
    colors = model_colors(models)
    fig, axes = _grid(len(metrics), 2, (4.6, 3.4), extra_w=1.6)
    if not metrics:
        _note(axes[0], "no test metrics logged")
    for ax, m in zip(axes, metrics):
        part = long[long["metric"] == m]
        for model in models:
            d = part[part["model"] == model].sort_values("k")
            if len(d):
                ax.plot(d["k"], d["value"], marker="o", color=colors[model], label=model)
        ax.set_xticks(sorted(part["k"].unique()))
        ax.set_xlabel("K (number of offers shown)")
        ax.set_ylabel(metric_label(f"{m}@K"))
        ax.set_title(f"{m}@K")
        ax.grid(alpha=0.3)
    return _model_legend(fig, axes, title or "Test metrics against the number of offers K")


LIFT_LABELS = {"conversion": "conversion", "offer_conversion": "offer conversion",
               "addon_revenue": "add-on revenue per session", "order_value": "order value",
               "margin": "add-on margin per session", "revenue_per_session": "revenue per session"}
_ABS_UNITS = {"conversion": "percentage points", "offer_conversion": "percentage points"}


def lift_plot(lift: pd.DataFrame, alpha: float = 0.05, title: str = "") -> Figure:
    """Simulated A/B test: one panel per metric, one row per arm, lift vs control with its CI.
    Relative lift (%) where the control's mean is non-zero, else the absolute difference.
    Filled markers: the interval drawn excludes 0."""
    metrics = list(dict.fromkeys(lift["metric"])) if len(lift) else []
    n_arms = lift["arm"].nunique() if len(lift) else 1
    fig, axes = _grid(len(metrics), 2 if len(metrics) <= 4 else 3, (4.2, 0.5 * n_arms + 1.5), extra_h=1.0)
    if not metrics:
        _note(axes[0], "no simulated A/B test in this experiment")
        fig.suptitle(title or "Simulated A/B test")
        return fig
    arms = list(dict.fromkeys(lift["arm"]))
    colors = model_colors(arms)
    y = np.arange(len(arms))[::-1]
    for ax, metric in zip(axes, metrics):
        t = lift[lift["metric"] == metric].set_index("arm").reindex(arms)
        relative = bool(np.isfinite(t["rel_lift"].to_numpy(float)).all())
        if relative:
            v, lo, hi = (100 * t[c].to_numpy(float) for c in ("rel_lift", "rel_ci_low", "rel_ci_high"))
            xlabel = "relative lift vs control (%)"
        else:
            scale = 100.0 if metric in _ABS_UNITS else 1.0
            v, lo, hi = (scale * t[c].to_numpy(float) for c in ("abs_lift", "abs_ci_low", "abs_ci_high"))
            xlabel = f"absolute lift vs control ({_ABS_UNITS.get(metric, 'currency units')})"
        # filled = the interval drawn excludes 0: the marker is decided by the interval shown (rows
        # without a p-value, e.g. rate-draw intervals or offer-only metrics, included)
        sig = (lo > 0) | (hi < 0)
        for i, arm in enumerate(arms):
            if not np.isfinite(v[i]):
                continue
            # the interval as drawn (a rate-draw interval need not contain the point lift)
            ax.hlines(y[i], lo[i], hi[i], color=colors[arm])
            ax.vlines([lo[i], hi[i]], y[i] - 0.12, y[i] + 0.12, color=colors[arm])
            ax.plot(v[i], y[i], "o", ms=7, color=colors[arm], mfc=colors[arm] if sig[i] else "white")
        ax.axvline(0.0, color="grey", lw=1, ls="--")
        ax.set_yticks(y, arms)
        ax.set_ylim(-0.6, len(arms) - 0.4)
        ax.set_xlabel(xlabel)
        ax.set_title(LIFT_LABELS.get(metric, metric))
        ax.grid(axis="x", alpha=0.3)
    for i in range(0, len(axes), 2 if len(metrics) <= 4 else 3):
        axes[i].set_ylabel("treatment arm")
    from matplotlib.lines import Line2D

    level = f"{100 * (1 - alpha):.0f}%"
    keys = [Line2D([], [], marker="o", ls="", color="0.3", label=f"{level} interval excludes 0"),
            Line2D([], [], marker="o", ls="", color="0.3", mfc="white", label=f"{level} interval includes 0")]
    fig.legend(handles=keys, loc="outside lower center", ncols=2, fontsize=8)
    method = ", ".join(dict.fromkeys(lift["method"])) if "method" in lift else ""
    fig.suptitle(title or f"Simulated A/B test: lift vs control with {100 * (1 - alpha):.0f}% CIs"
                          + (f" ({method})" if method else ""))
    return fig


def _figure_legend(fig, axes) -> None:
    """One legend for the whole figure (each label once), below the panels."""
    seen: dict[str, object] = {}
    for ax in axes:
        for h, label in zip(*ax.get_legend_handles_labels()):
            seen.setdefault(label, h)
    if seen:
        fig.legend(list(seen.values()), list(seen), loc="outside lower center", ncols=len(seen), fontsize=8)


def optuna_history(studies: dict[str, pd.DataFrame], objective: str, maximize: bool = True,
                   title: str = "") -> Figure:
    """One panel per tuned model: validation objective per trial and the best so far."""
    names = list(studies)
    fig, axes = _grid(len(names), 3, (4.3, 3.3), extra_h=1.0)
    if not names:
        _note(axes[0], "no model was tuned in this experiment")
    for ax, name in zip(axes, names):
        t = studies[name]
        done = t[(t["state"] == "COMPLETE") & t["value"].notna()]
        pruned = t[(t["state"] == "PRUNED") & t["value"].notna()]
        ax.scatter(done["number"], done["value"], color="tab:blue", label="completed trial", zorder=3)
        if len(pruned):
            ax.scatter(pruned["number"], pruned["value"], color="0.55", marker="x",
                       label="pruned trial (last reported value)", zorder=3)
        if len(done):
            acc = np.maximum.accumulate if maximize else np.minimum.accumulate
            x = np.r_[done["number"].to_numpy(), t["number"].max()]
            best = acc(done["value"].to_numpy())
            ax.step(x, np.r_[best, best[-1]], where="post", color="tab:red", label="best so far")
        ax.set_xlabel("trial number")
        ax.set_ylabel(f"validation {objective}")
        ax.set_title(f"{name} ({len(done)} completed / {len(t)} trials)", fontsize=10)
        ax.xaxis.get_major_locator().set_params(integer=True)
        ax.grid(alpha=0.3)
    _figure_legend(fig, axes)
    fig.suptitle(title or f"Optuna optimisation history ({'higher' if maximize else 'lower'} is better)")
    return fig


def param_importances(imps: dict[str, pd.Series | None], studies: dict[str, pd.DataFrame] | None = None,
                      min_trials: int = 3, title: str = "") -> Figure:
    """One panel per tuned model: PED-ANOVA importance of each searched parameter."""
    names = list(imps)
    rows = max([len(s) for s in imps.values() if s is not None] + [2])
    fig, axes = _grid(len(names), 3, (4.3, 0.4 * rows + 1.4))
    if not names:
        _note(axes[0], "no model was tuned in this experiment")
    for i, (ax, name) in enumerate(zip(axes, names)):
        s = imps[name]
        done = None if studies is None else int((studies[name]["state"] == "COMPLETE").sum())
        ax.set_title(name if done is None else f"{name} ({done} completed trials)", fontsize=10)
        if s is None:
            if done is not None and done < min_trials:
                _note(ax, f"not enough trials: importances need\n>= {min_trials} completed trials "
                          f"({done} completed)")
            else:
                _note(ax, "importances could not be computed\n(e.g. every trial scored the same)")
            continue
        s = s.iloc[::-1]
        bars = ax.barh(s.index.astype(str), s.to_numpy(), color="tab:green")
        ax.bar_label(bars, fmt="%.2f", padding=3, fontsize=8)
        ax.set_xlim(0, 1.1)
        ax.set_xlabel("importance (PED-ANOVA, share of total)")
        ax.grid(axis="x", alpha=0.3)
        if i % 3 == 0:
            ax.set_ylabel("searched parameter")
    fig.suptitle(title or "Hyper-parameter importances for the validation objective")
    return fig


def tradeoff_scatter(table: pd.DataFrame, objective: str, title: str = "") -> Figure:
    """Accuracy (x) against each beyond-accuracy metric (y, one panel each), a point per model."""
    ys = [c for c in table.columns if c not in ("model", objective)]
    colors = model_colors(list(table["model"]))
    fig = Figure(figsize=(4.6 * max(len(ys), 1) + 1.8, 4.2), layout="constrained")
    axes = fig.subplots(1, max(len(ys), 1), squeeze=False)[0]
    if not ys or objective not in table:
        _note(axes[0], "coverage / novelty were not logged")
    for ax, col in zip(axes, ys):
        for i, rec in enumerate(table.to_dict(orient="records")):
            ax.scatter(rec[objective], rec[col], s=70, color=colors[rec["model"]], label=rec["model"],
                       marker=MARKERS[i % len(MARKERS)], edgecolors="black", linewidths=0.5, zorder=3)
        ax.margins(0.1)
        ax.set_xlabel(metric_label(objective))
        ax.set_ylabel(metric_label(col))
        ax.set_title(f"{col} vs {objective}")
        ax.grid(alpha=0.3)
    return _model_legend(fig, axes, title or "Accuracy vs beyond-accuracy trade-off (test set; up and right is better)")


def _model_legend(fig, axes, title: str):
    """One legend of the models (from the first panel) right of the panels, and the title."""
    handles, labels = axes[0].get_legend_handles_labels()
    if handles:
        fig.legend(handles, labels, loc="outside right center", title="model", fontsize=8)
    fig.suptitle(title)
    return fig
