"""Offline A/B simulation of cross-sell offers, power analysis and off-policy estimators.

Answers "if we ship recommender B instead of A (or instead of nothing), how much do conversion,
add-on revenue and order value move, and how sure are we?" from held-out carts, under an explicit,
configurable acceptance model (docs/simulation.md). Consumes recommendation arrays or tables;
never imports a model class.

    sessions, truth = sessions_from_holdout(split, test_lines, history=train_lines)
    cfg = SimulationConfig(rates="priors", rate_draws=200, cuped=True)      # rates from the priors
    organic = OrganicLines(p_organic_per_hidden_line, draws)                 # cs_lab.simulate.organic
    res = simulate(sessions, truth, {"control": None, "als": Arm(ids, items=vocab)}, cfg, organic=organic)
    res.arms, res.lift, res.draws.pairs (P(B beats A)), res.rates.sources, res.to_json()
"""

from cs_lab.simulate.aa import aa_test
from cs_lab.simulate.arms import NO_OFFER, Arm
from cs_lab.simulate.calibration import (Calibration, calibrate, organic_rate_for_conversion, organic_rate_from_history,
                                       take_rate_for_offer_conversion)
from cs_lab.simulate.config import SimulationConfig
from cs_lab.simulate.engine import OrganicLines, run, simulate
from cs_lab.simulate.rates import AcceptanceRates, acceptance_rates, fixed_rates
from cs_lab.simulate.ope import LoggedFeedback, dm, dr, estimate_policy_value, ips, snips
from cs_lab.simulate.result import SimulationResult
from cs_lab.simulate.sessions import SessionSet, pre_period_spend, sessions_from_holdout
from cs_lab.simulate.stats import (mde_means, mde_proportions, power_means, power_proportions,
                                   power_table, sample_size_means, sample_size_proportions)

__all__ = [
    "AcceptanceRates", "Arm", "Calibration", "LoggedFeedback", "NO_OFFER", "OrganicLines", "SessionSet", "SimulationConfig", "SimulationResult", "aa_test",
    "acceptance_rates", "calibrate", "dm", "dr", "estimate_policy_value", "fixed_rates", "ips", "mde_means", "mde_proportions",
    "organic_rate_for_conversion", "organic_rate_from_history", "power_means", "power_proportions",
    "power_table", "pre_period_spend", "run", "sample_size_means", "sample_size_proportions",
    "sessions_from_holdout", "simulate", "snips", "take_rate_for_offer_conversion",
]
