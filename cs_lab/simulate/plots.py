"""Figures of a simulation: per-arm lift with confidence intervals, and power curves.

Each function returns a matplotlib Figure (Agg, no display needed) and saves a PNG when ``path``
is given. matplotlib is imported lazily.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from cs_lab.simulate.stats.power import sample_size_means, sample_size_proportions

METRIC_LABELS = {"conversion": "conversion", "offer_conversion": "offer conversion",
                 "addon_revenue": "add-on revenue per session", "order_value": "order value",
                 "margin": "add-on margin per session"}


def _pyplot():
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    return plt


def _save(fig, path) -> None:
    if path is not None:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path, dpi=120, bbox_inches="tight")


def plot_lift(lift, metric: str = "conversion", *, methods: list[str] | None = None, relative: bool = True,
              alpha: float | None = None, path: str | Path | None = None):
    """Lift of each arm vs the control on ``metric``: point estimate and interval per method.

    ``lift`` is a SimulationResult or its ``.lift`` table. relative=True plots percent change
    (arm / control - 1), else the absolute difference in the metric's units.
    """
    plt = _pyplot()
    cfg = getattr(lift, "config", None)
    table: pd.DataFrame = lift.lift if hasattr(lift, "lift") else lift
    alpha = alpha if alpha is not None else (cfg.alpha if cfg is not None else 0.05)
    t = table[table["metric"] == metric]
    if methods is not None:
        t = t[t["method"].isin(methods)]
    if t.empty:
        raise ValueError(f"no lift rows for metric {metric!r} (have {sorted(table['metric'].unique())})")
    arms = list(dict.fromkeys(t["arm"]))
    meths = list(dict.fromkeys(t["method"]))
    binary = metric in ("conversion", "offer_conversion")
    scale = 100.0 if relative or binary else 1.0
    col, lo, hi = ("rel_lift", "rel_ci_low", "rel_ci_high") if relative else ("abs_lift", "abs_ci_low",
                                                                            "abs_ci_high")
    fig, ax = plt.subplots(figsize=(max(5.0, 1.6 * len(arms) + 3), 4.2))
    width = 0.7 / max(len(meths), 1)
    for j, m in enumerate(meths):
        g = t[t["method"] == m].set_index("arm").reindex(arms)
        x = np.arange(len(arms)) - 0.35 + width * (j + 0.5)
        y = g[col].to_numpy(dtype=float) * scale
        # the interval as drawn, not as +-errors around the point: a rate-draw interval (method
        # bootstrap+rates) need not contain the point lift at the point rates
        ylo, yhi = g[lo].to_numpy(dtype=float) * scale, g[hi].to_numpy(dtype=float) * scale
        line = ax.plot(x, y, "o", label=m)[0]
        ax.vlines(x, ylo, yhi, color=line.get_color())
        ax.hlines(np.concatenate([ylo, yhi]), np.tile(x, 2) - 0.05, np.tile(x, 2) + 0.05, color=line.get_color())
    ax.axhline(0.0, color="grey", lw=1, ls="--")
    ax.set_xticks(np.arange(len(arms)), arms)
    control = t["control"].iloc[0]
    label = METRIC_LABELS.get(metric, metric)
    ax.set_xlabel(f"arm (compared with control '{control}')")
    if relative:
        ax.set_ylabel(f"relative lift in {label} (%)")
    else:
        ax.set_ylabel(f"absolute lift in {label} ({'percentage points' if binary else 'currency units'})")
    ax.set_title(f"Lift vs control: {label}, {100 * (1 - alpha):.0f}% intervals")
    ax.legend(title="method", fontsize=8)
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    _save(fig, path)
    return fig


def plot_power_curve(*, p_control: float | None = None, sd: float | None = None,
                     baseline_mean: float | None = None, mdes=None, powers=(0.8, 0.9), alpha: float = 0.05,
                     ratio: float = 1.0, observed: dict[str, float] | None = None, metric: str = "conversion",
                     design_effect: float = 1.0, path: str | Path | None = None):
    """Sessions needed per (control) arm against the relative MDE, one line per power.

    Give ``p_control`` (a rate, e.g. conversion) or ``sd`` and ``baseline_mean`` (a mean, e.g.
    revenue per session). ``observed`` marks points, e.g. {"als": 0.04} for a simulated lift.
    """
    plt = _pyplot()
    mdes = np.linspace(0.01, 0.30, 59) if mdes is None else np.asarray(mdes, dtype=np.float64)
    if (p_control is None) == (sd is None):
        raise ValueError("give either p_control (a rate) or sd and baseline_mean (a mean)")
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    for pw in powers:
        if p_control is not None:
            n = [sample_size_proportions(p_control, float(m), relative=True, alpha=alpha, power=pw, ratio=ratio,
                                         design_effect=design_effect) for m in mdes]
        else:
            n = [sample_size_means(sd, float(m), baseline_mean=baseline_mean, relative=True, alpha=alpha,
                                   power=pw, ratio=ratio) for m in mdes]
        ax.plot(mdes * 100, n, label=f"power {pw:.0%}")
    for name, m in (observed or {}).items():
        n = (sample_size_proportions(p_control, m, alpha=alpha, power=powers[0], ratio=ratio,
                                     design_effect=design_effect)
             if p_control is not None else
             sample_size_means(sd, m, baseline_mean=baseline_mean, relative=True, alpha=alpha, power=powers[0],
                               ratio=ratio))
        ax.scatter([m * 100], [n], color="black", zorder=3,
                   label=f"simulated lifts (at power {powers[0]:.0%})" if name == next(iter(observed)) else None)
        ax.annotate(f"{name} ({m:+.1%})", (m * 100, n), textcoords="offset points", xytext=(6, 6), fontsize=8)
    ax.set_yscale("log")
    ax.set_xlim(left=0)
    ax.set_xlabel("minimum detectable effect, relative to control (%)")
    ax.set_ylabel("sessions needed per control arm (log scale)")
    base = (f"baseline rate {p_control:.2%}" + (f", design effect {design_effect:.2f}" if design_effect != 1 else "")
            if p_control is not None
            else f"baseline mean {baseline_mean:.2f}, sd {sd:.2f}")
    ax.set_title(f"Sample size for {METRIC_LABELS.get(metric, metric)} ({base}, alpha={alpha})")
    ax.grid(True, which="major", alpha=0.4)
    ax.grid(True, which="minor", alpha=0.12)
    ax.legend()
    fig.tight_layout()
    _save(fig, path)
    return fig
