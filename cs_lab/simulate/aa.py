"""A/A checks: run the same policy in two arms under many seeds and count "significant" lifts.

With a correct test, the share of runs with p < alpha is alpha up to binomial noise; a rate
clearly above alpha means the intervals are too narrow (the simulator or a test is wrong).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from cs_lab.simulate.arms import encode_arm
from cs_lab.simulate.config import SimulationConfig
from cs_lab.simulate.engine import PreparedArms, run
from cs_lab.simulate.sessions import SessionSet


@dataclass
class AAResult:
    """pvalues: run, seed, metric, method, p_value. summary: per (metric, method) the number of runs,
    false positives (p < alpha), their rate and its two-sided 99 % Clopper-Pearson interval;
    ``consistent`` = alpha lies inside that interval."""

    pvalues: pd.DataFrame
    summary: pd.DataFrame


def aa_test(sessions: SessionSet, recs, config: SimulationConfig, n_runs: int = 400, *,
            metrics: tuple[str, ...] = ("conversion", "addon_revenue"), level: float = 0.99) -> AAResult:
    """Run ``n_runs`` A/A simulations (seeds config.seed, config.seed + 1, ...) with ``recs`` in both arms."""
    cfg = config.model_copy(update={"arms": ["A", "B"], "control": "A", "weights": None,
                                    "metrics": list(metrics), "counterfactual": False})
    codes = encode_arm(recs, sessions, cfg.slots, "A")
    prepared = PreparedArms(["A", "B"], [codes, codes], 0, [1.0, 1.0])
    frames = []
    for i in range(n_runs):
        res = run(sessions, prepared, cfg.model_copy(update={"seed": config.seed + i}), per_session=False)
        lift = res.lift[["metric", "method", "p_value"]].copy()
        lift.insert(0, "seed", config.seed + i)
        lift.insert(0, "run", i)
        frames.append(lift)
    pv = pd.concat(frames, ignore_index=True)
    rows = []
    for (metric, method), g in pv.groupby(["metric", "method"], sort=False):
        k, n = int((g["p_value"] < cfg.alpha).sum()), len(g)
        lo = stats.beta.ppf((1 - level) / 2, k, n - k + 1) if k > 0 else 0.0
        hi = stats.beta.ppf(1 - (1 - level) / 2, k + 1, n - k) if k < n else 1.0
        rows.append({"metric": metric, "method": method, "runs": n, "false_positives": k, "rate": k / n,
                     "ci_low": float(lo), "ci_high": float(hi), "consistent": bool(lo <= cfg.alpha <= hi)})
    return AAResult(pv, pd.DataFrame(rows))


def binomial_band(n: int, alpha: float = 0.05, level: float = 0.999) -> tuple[int, int]:
    """Central ``level`` range of the number of false positives in n runs of a correct test."""
    lo, hi = stats.binom.interval(level, n, alpha)
    return int(np.floor(lo)), int(np.ceil(hi))
