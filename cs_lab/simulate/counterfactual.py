"""Counterfactual view: every session under every arm (possible only in a simulation).

Because acceptance draws are common random numbers, each session's outcome under each arm can
be computed, and arm vs control compared *paired*, session by session. This is the effect the
acceptance model predicts if the arm were shipped to all these sessions -- without the
assignment noise of an A/B test (the ``lift`` table shows what a test of this size would
measure). Intervals are normal (paired) intervals over sessions; they still reflect only the
acceptance draws and the finite set of sessions, not uncertainty about the model's rates.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import stats

from cs_lab.simulate.acceptance import simulate_outcomes
from cs_lab.simulate.config import SimulationConfig
from cs_lab.simulate.sessions import SessionSet

COUNTERFACTUAL_COLUMNS = ("arm", "control", "metric", "n", "mean_arm", "mean_control", "abs_lift", "abs_ci_low",
                          "abs_ci_high", "rel_lift", "rel_ci_low", "rel_ci_high", "p_value")


def counterfactual_table(sessions: SessionSet, codes: list[np.ndarray | None], names: list[str], control: int,
                         config: SimulationConfig, uniforms: tuple[np.ndarray, np.ndarray],
                         metrics: dict[str, str], *, accept=None, organic=None, tactics=None,
                         response: float = 0.0) -> pd.DataFrame:
    """metrics: metric name -> outcome column (e.g. {"conversion": "converted"}); accept / organic:
    the rates (see ``simulate_outcomes``); tactics: arm index -> its discounts / thresholds keyword
    arguments (``PreparedArms.tactics``), response: the discount response."""
    n = len(sessions)
    zeros = np.zeros(n, np.int64)

    def outcomes(a):
        extra = tactics(a) if tactics is not None else {}
        return simulate_outcomes(sessions, zeros, [codes[a]], config, uniforms, accept=accept, organic=organic,
                                 response=response, **extra)

    base = outcomes(control)
    z = float(stats.norm.ppf(1 - config.alpha / 2))
    rows = []
    for a, name in enumerate(names):
        if a == control or n < 2:
            continue
        out = outcomes(a)
        for metric, col in metrics.items():
            ya, yc = np.asarray(out[col], dtype=np.float64), np.asarray(base[col], dtype=np.float64)
            d = ya - yc
            ma, mc, md = float(ya.mean()), float(yc.mean()), float(d.mean())
            se = float(d.std(ddof=1)) / math.sqrt(n)
            p = float(2 * stats.t.sf(abs(md) / se, n - 1)) if se > 0 else (1.0 if md == 0 else 0.0)
            rel = rlo = rhi = math.nan
            if mc != 0:
                r = ma / mc
                # delta method for a ratio of paired means: var(ya - r yc) / (n mc^2)
                se_r = float(np.std(ya - r * yc, ddof=1)) / math.sqrt(n) / abs(mc)
                rel, rlo, rhi = r - 1, r - 1 - z * se_r, r - 1 + z * se_r
            rows.append({"arm": name, "control": names[control], "metric": metric, "n": n, "mean_arm": ma,
                         "mean_control": mc, "abs_lift": md, "abs_ci_low": md - z * se, "abs_ci_high": md + z * se,
                         "rel_lift": rel, "rel_ci_low": rlo, "rel_ci_high": rhi, "p_value": p})
    return pd.DataFrame(rows, columns=list(COUNTERFACTUAL_COLUMNS))
