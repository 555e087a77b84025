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
    n_weeks = int(panel.week.max())
    time = {"store_week": [panel.store_week], "week": [panel.week],
            "store_week+product_week": [panel.store_week,
                                        panel.product.astype(np.int64) * n_weeks + panel.week - 1]}[time_effects]
    bar = None
    if progress:
        from tqdm.auto import tqdm
        bar = tqdm(desc=f"fixed effects ({len(panel):,} cells)", unit="sweep")

    def tick(i: int, change: float) -> None:
        if bar is not None:
            bar.update(1)
            bar.set_postfix(change=f"{change:.1e}")

    try:
        fit = fe_ols(y, x, [panel.pair, *time], cluster=panel.product, weights=w, names=names,
                     tol=tol, max_iter=max_iter, on_iteration=tick)
    finally:
        if bar is not None:
            bar.close()
    lifts = {name: relative_lift(fit, name, x[:, j] > 0, y, panel.product, w) for j, name in enumerate(names)}
    return DisplayEffects(fit=fit, lifts=lifts, n_cells=len(panel), n_pairs=int(len(np.unique(panel.pair))),
                          n_products=fit.n_clusters, stores=panel.stores, time_effects=time_effects,
                          weight_total=int(panel.shoppers.sum()), purchases=int(panel.buyers.sum()))
