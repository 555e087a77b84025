"""The report's "Bundle offers" table: the bundle metrics of the models that offer bundles.

Only models whose evaluation had offers (a model with an ``offers(queries, ids)`` method, the
``bundle`` model) have these metrics; every other model is absent from the table, not zero.
Each value is pooled over the test carts of every window (seeds averaged), with a 95% cluster
bootstrap interval (customers resampled, as the leaderboard does). These are descriptions, not
decisions: no model is compared on them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cs_lab.eval.stats import bootstrap_ci

METRICS = ("bundle_offered", "bundle_hit", "full_bundle_hit", "bundle_revenue", "bundle_discount_cost",
           "bundle_margin")


def bundle_table(scores: dict, k: int, n_boot: int, seed: int) -> pd.DataFrame | None:
    """One row per model with bundle metrics at cut-off ``k``: estimate, ci_low, ci_high per metric."""
    rows = []
    for name, s in scores.items():
        frame, clusters = s.per_query("test")
        cols = [m for m in METRICS if f"{m}@{k}" in frame.columns]
        if not cols:
            continue
        row = {"model": name}
        for m in cols:
            iv = bootstrap_ci(frame[f"{m}@{k}"].to_numpy(), n_boot=n_boot, seed=seed, clusters=clusters)
            row[m], row[f"{m} ci_low"], row[f"{m} ci_high"] = iv.estimate, iv.low, iv.high
        rows.append(row)
    return pd.DataFrame(rows) if rows else None


def format_bundle_table(table: pd.DataFrame, k: int) -> str:
    metrics = [m for m in METRICS if m in table.columns]
    head = (f"Bundle offers @{k} (models that offer bundles only; test carts pooled over windows, "
            "95% cluster-bootstrap intervals; descriptive, no decisions). bundle_offered: share of carts "
            "shown a bundle; bundle_hit / full_bundle_hit: any / every offered item among the hidden items; "
            "revenue, discount cost and margin at the hidden lines' values (margin needs costs)")
    lines = [head]
    for _, r in table.iterrows():
        parts = [f"{m} {r[m]:.4f} [{r[f'{m} ci_low']:.4f}, {r[f'{m} ci_high']:.4f}]"
                 for m in metrics if np.isfinite(r[m])]
        lines.append(f"  {r['model']}: " + "; ".join(parts))
    return "\n".join(lines)
