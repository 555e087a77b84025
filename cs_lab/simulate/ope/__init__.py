"""Off-policy evaluation: the estimators (IPS, SNIPS, DM, DR) and, in ``open_bandit``, the check of
those estimators against a real logged A/B test (the Open Bandit Dataset's Random and BTS logs).

    estimators.py    IPS / SNIPS / DM / DR on arrays (equal to Open Bandit Pipeline 0.4.1)
    reward_model.py  L2 logistic click model on context + item + position, cross-fitted
    policy.py        a context-free policy's action distribution from its own log; support check
    pipeline.py      OpeConfig, evaluate_policy: the estimators with bootstrap CIs beside the on-policy CTR
    examination.py   slot examination curve from a uniform-random log -> priors
"""

from cs_lab.simulate.ope.estimators import (LoggedFeedback, dm, dr, estimate_policy_value, importance_weights, ips,
                                            snips)

__all__ = ["LoggedFeedback", "dm", "dr", "estimate_policy_value", "importance_weights", "ips", "snips"]
