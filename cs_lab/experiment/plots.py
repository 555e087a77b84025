"""Figures logged with every experiment (matplotlib, Agg backend; titles, labelled axes, legends)."""

from __future__ import annotations

import warnings

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402


def metrics_vs_k(summaries: dict[str, dict[str, dict[int, float]]], metrics=("ndcg", "hit_rate", "recall", "revenue"),
                 title: str = ""):
    """One panel per metric: value at each K, one line per model."""
    metrics = [m for m in metrics if any(m in s for s in summaries.values())]
    fig, axes = plt.subplots(1, len(metrics), figsize=(4.2 * len(metrics) + 1.6, 3.8), squeeze=False)
    all_ks: set[int] = set()
    for ax, metric in zip(axes[0], metrics):
        for model, s in summaries.items():
            if metric in s:
                ks = sorted(s[metric])
                all_ks |= set(ks)
                ax.plot(ks, [s[metric][k] for k in ks], marker="o", label=model)
        ax.set_xticks(sorted(all_ks))
        ax.set_title(f"{metric}@K")
        ax.set_xlabel("K (offers shown)")
        ax.set_ylabel("revenue per cart (currency units)" if metric == "revenue" else f"mean {metric}")
        ax.grid(alpha=0.3)
    handles, labels = axes[0][0].get_legend_handles_labels()
    fig.legend(handles, labels, fontsize=8, loc="center right", title="model")
    fig.suptitle(title or "Test metrics vs K")
    fig.tight_layout(rect=(0, 0, 1 - 1.5 / fig.get_figwidth(), 1))
    return fig


def optimisation_history(study, title: str = ""):
    """Objective value per trial and best so far."""
    from optuna.trial import TrialState

    fig, ax = plt.subplots(figsize=(6, 3.8))
    trials = [t for t in study.get_trials(deepcopy=False) if t.state == TrialState.COMPLETE]
    name = study.metric_names[0] if study.metric_names else "objective"
    if trials:
        x = [t.number for t in trials]
        y = [t.values[0] for t in trials]
        ax.scatter(x, y, label="completed trial", color="tab:blue")
        maximise = study.directions[0].name == "MAXIMIZE"
        best = np.maximum.accumulate(y) if maximise else np.minimum.accumulate(y)
        ax.step(x, best, where="post", color="tab:red", label="best so far")
    pruned = [t.number for t in study.get_trials(deepcopy=False) if t.state == TrialState.PRUNED]
    if pruned:
        ax.scatter(pruned, [np.nan] * len(pruned))
        ax.text(0.01, 0.02, f"{len(pruned)} pruned trial(s)", transform=ax.transAxes, fontsize=8)
    ax.set_xlabel("trial number")
    ax.set_ylabel(f"validation {name}")
    ax.set_title(title or "Optimisation history")
    ax.grid(alpha=0.3)
    ax.legend(loc="best", fontsize=8)
    fig.tight_layout()
    return fig


def param_importances(study, title: str = ""):
    """PED-ANOVA importances (no scikit-learn needed); None when there are too few trials."""
    import optuna
    from optuna.importance import PedAnovaImportanceEvaluator
    from optuna.trial import TrialState

    done = [t for t in study.get_trials(deepcopy=False) if t.state == TrialState.COMPLETE]
    if len(done) < 3 or not done[0].params:
        return None
    try:
        # PED-ANOVA looks for what makes the target low: negate maximised objectives
        sign = -1.0 if study.directions[0].name == "MAXIMIZE" else 1.0
        with warnings.catch_warnings():  # it warns on every custom target; ours is the negation
            warnings.simplefilter("ignore", UserWarning)
            imp = optuna.importance.get_param_importances(study, evaluator=PedAnovaImportanceEvaluator(),
                                                          target=lambda t: sign * t.values[0])
    except (RuntimeError, ValueError, ZeroDivisionError):
        return None
    if not imp:
        return None
    names = list(imp)[::-1]
    fig, ax = plt.subplots(figsize=(6, 0.5 * len(names) + 1.5))
    ax.barh(names, [imp[n] for n in names], color="tab:green")
    ax.set_xlabel("importance (PED-ANOVA, share of total)")
    ax.set_title(title or "Hyper-parameter importances")
    fig.tight_layout()
    return fig


def pareto_front(study, title: str = ""):
    from optuna.trial import TrialState

    done = [t for t in study.get_trials(deepcopy=False) if t.state == TrialState.COMPLETE]
    front = {t.number for t in study.best_trials}
    names = study.metric_names or ["objective 1", "objective 2"]
    fig, ax = plt.subplots(figsize=(5.5, 4))
    ax.scatter([t.values[0] for t in done], [t.values[1] for t in done], color="lightgray", label="trial")
    f = [t for t in done if t.number in front]
    ax.scatter([t.values[0] for t in f], [t.values[1] for t in f], color="tab:red", label="Pareto front")
    ax.set_xlabel(f"validation {names[0]}")
    ax.set_ylabel(f"validation {names[1]}")
    ax.set_title(title or "Pareto front")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def close(fig) -> None:
    if fig is not None:
        plt.close(fig)


def windows_plot(per_window, metric: str, winner: str | None = None, title: str = ""):
    """The test metric of each model in each rolling-origin window (one line per model; the
    validation-chosen winner drawn thick)."""
    fig, ax = plt.subplots(figsize=(7.5, 4.2))
    x = np.arange(per_window.shape[1])
    for model, row in per_window.iterrows():
        lw = 3.0 if model == winner else 1.2
        ax.plot(x, row.to_numpy(dtype=float), marker="o", lw=lw, label=f"{model}{' (chosen)' if model == winner else ''}")
    ax.set_xticks(x, list(per_window.columns))
    ax.set_xlabel("test window (earliest first)")
    ax.set_ylabel(metric)
    ax.set_title(title)
    ax.legend(loc="center left", bbox_to_anchor=(1.01, 0.5), fontsize=8, frameon=False)
    fig.tight_layout()
    return fig
