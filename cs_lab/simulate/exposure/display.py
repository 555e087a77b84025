"""Display and mailer effects on the weekly purchase probability, by fixed effects.

Linear probability model on the panel (``panel.py``), weighted by the store-week's panel shoppers:

    y_psw = b_D display_only + b_M mailer_only + b_DM both + a_ps + g_sw [+ h_pw] + e_psw

``a_ps`` product x store fixed effects (each pair against its own unpromoted weeks); ``g_sw`` store x
week fixed effects (the store's traffic and mix that week; ``time_effects="week"`` uses chain-wide
week effects instead); ``h_pw`` product x week fixed effects with ``"store_week+product_week"``: they
absorb each product's chain-wide seasonality and leave only the variation between stores in the
same week. The three treatment dummies are exclusive, so each effect is against weeks with neither
display nor mailer (a treatment with no cell in the panel is left out). Standard errors are
clustered by product (every store and week of a product is one cluster).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from cs_lab.errors import ConfigError
from cs_lab.simulate.exposure.fixed_effects import FEResult, fe_ols
from cs_lab.simulate.exposure.lift import Lift, relative_lift
from cs_lab.simulate.exposure.panel import Panel

TREATMENTS = ("display_only", "mailer_only", "display_and_mailer")


@dataclass(frozen=True)
class DisplayEffects:
    fit: FEResult
    lifts: dict[str, Lift]
    n_cells: int
    n_pairs: int
    n_products: int
    stores: tuple[int, ...]
    time_effects: str
    weight_total: int       # household-weeks x products: the household-level rows the cells stand for
    purchases: int          # sum of buyers over the cells


def _time_groupings(panel: Panel, time_effects: str) -> list[np.ndarray]:
    n_weeks = int(panel.week.max())
    options = {"store_week": lambda: [panel.store_week], "week": lambda: [panel.week],
               "store_week+product_week": lambda: [panel.store_week,
                                                   panel.product.astype(np.int64) * n_weeks + panel.week - 1]}
    if time_effects not in options:
        raise ConfigError(f"time_effects {time_effects!r} unknown; expected one of {sorted(options)}")
    return options[time_effects]()


def _fit_with_progress(y, x, groupings, cluster, w, names, tol, max_iter, desc: str | None) -> FEResult:
    """``fe_ols`` with a progress bar over the demeaning sweeps when ``desc`` is given."""
    bar = None
    if desc is not None:
        from tqdm.auto import tqdm
        bar = tqdm(desc=desc, unit="sweep")

    def tick(i: int, change: float) -> None:
        if bar is not None:
            bar.update(1)
            bar.set_postfix(change=f"{change:.1e}")

    try:
        return fe_ols(y, x, groupings, cluster=cluster, weights=w, names=names, tol=tol, max_iter=max_iter,
                      on_iteration=tick)
    finally:
        if bar is not None:
            bar.close()


def treatment_columns(panel: Panel) -> np.ndarray:
    d, m = panel.display, panel.mailer
    return np.column_stack([d & ~m, m & ~d, d & m]).astype(np.float64)


TimeEffects = Literal["store_week", "week", "store_week+product_week"]


def estimate_display_effects(panel: Panel, time_effects: TimeEffects = "store_week",
                             tol: float = 1e-9, max_iter: int = 500, progress: bool = False) -> DisplayEffects:
    x = treatment_columns(panel)
    present = [j for j in range(x.shape[1]) if x[:, j].any()]   # a treatment never seen has no effect to estimate
    x, names = x[:, present], tuple(TREATMENTS[j] for j in present)
    y = panel.y
    w = panel.shoppers.astype(np.float64)
    time = _time_groupings(panel, time_effects)
    fit = _fit_with_progress(y, x, [panel.pair, *time], panel.product, w, names, tol, max_iter,
                             f"fixed effects ({len(panel):,} cells)" if progress else None)
    lifts = {name: relative_lift(fit, name, x[:, j] > 0, y, panel.product, w) for j, name in enumerate(names)}
    return DisplayEffects(fit=fit, lifts=lifts, n_cells=len(panel), n_pairs=int(len(np.unique(panel.pair))),
                          n_products=fit.n_clusters, stores=panel.stores, time_effects=time_effects,
                          weight_total=int(panel.shoppers.sum()), purchases=int(panel.buyers.sum()))


@dataclass(frozen=True)
class LeadPlacebo:
    """Next week's treatments added to the model: a promotion cannot cause last week's purchases, so
    a lead coefficient far from 0 means the promoted weeks differ from the others for another reason
    (demand that was rising anyway, stock-ups before a known promotion): selection the fixed effects
    did not remove. ``fit`` holds the current and the lead coefficients (``next_`` prefix)."""

    fit: FEResult
    time_effects: str

    def lead(self, name: str) -> tuple[float, float]:
        j = self.fit.names.index(f"next_{name}")
        return float(self.fit.beta[j]), float(self.fit.se[j])


def estimate_lead_placebo(panel: Panel, time_effects: TimeEffects = "store_week", tol: float = 1e-9,
                          max_iter: int = 500, progress: bool = False) -> LeadPlacebo:
    """The model of ``estimate_display_effects`` plus next week's three exclusive treatment dummies."""
    if panel.display_next is None or panel.mailer_next is None:
        raise ConfigError("the lead placebo needs next week's flags: build the panel with build_panel")
    cur = treatment_columns(panel)
    d, m = panel.display_next, panel.mailer_next
    lead = np.column_stack([d & ~m, m & ~d, d & m]).astype(np.float64)
    names = [*TREATMENTS, *(f"next_{t}" for t in TREATMENTS)]
    x = np.column_stack([cur, lead])
    present = [j for j in range(x.shape[1]) if x[:, j].any()]
    fit = _fit_with_progress(panel.y, x[:, present], [panel.pair, *_time_groupings(panel, time_effects)],
                             panel.product, panel.shoppers.astype(np.float64), [names[j] for j in present], tol,
                             max_iter, f"lead placebo ({len(panel):,} cells)" if progress else None)
    return LeadPlacebo(fit=fit, time_effects=time_effects)
