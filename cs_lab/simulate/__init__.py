"""Offline A/B simulation of cross-sell offers, power analysis and off-policy estimators.

Answers "if we ship recommender B instead of A (or instead of nothing), how much do conversion,
add-on revenue and order value move, and how sure are we?" from held-out carts, under an explicit,
configurable acceptance model (docs/simulation.md). Consumes recommendation arrays or tables;
never imports a model class.

    sessions, truth = sessions_from_holdout(split, test_lines, history=train_lines)
    cfg = calibrate(SimulationConfig(cuped=True), sessions, truth, target_control_conversion=0.08)
    res = simulate(sessions, truth, {"control": None, "als": Arm(ids, items=vocab)}, cfg)
    res.arms, res.lift, res.to_json()
"""

from cs_lab.simulate.aa import aa_test
from cs_lab.simulate.arms import NO_OFFER, Arm
from cs_lab.simulate.calibration import (Calibration, calibrate, organic_rate_for_conversion, organic_rate_from_history,
                                       take_rate_for_offer_conversion)
from cs_lab.simulate.config import SimulationConfig
from cs_lab.simulate.engine import run, simulate
from cs_lab.simulate.ope import LoggedFeedback, dm, dr, estimate_policy_value, ips, snips
from cs_lab.simulate.result import SimulationResult
from cs_lab.simulate.sessions import SessionSet, pre_period_spend, sessions_from_holdout
from cs_lab.simulate.stats import (mde_means, mde_proportions, power_means, power_proportions,
                                   power_table, sample_size_means, sample_size_proportions)

__all__ = [
    "Arm", "Calibration", "LoggedFeedback", "NO_OFFER", "SessionSet", "SimulationConfig", "SimulationResult", "aa_test",
    "calibrate", "dm", "dr", "estimate_policy_value", "ips", "mde_means", "mde_proportions",
    "organic_rate_for_conversion", "organic_rate_from_history", "power_means", "power_proportions",
    "power_table", "pre_period_spend", "run", "sample_size_means", "sample_size_proportions",
    "sessions_from_holdout", "simulate", "snips", "take_rate_for_offer_conversion",
]
