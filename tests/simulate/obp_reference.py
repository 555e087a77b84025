"""Recompute the Open Bandit Pipeline reference numbers used by test_ope.py (not a test).

obp 0.4.1 needs torch and old pins, so it is not installed in the project's environment. Run this
in a throwaway virtualenv, e.g.:

    python -m venv /tmp/obpenv && . /tmp/obpenv/bin/activate
    pip install "numpy<2" "pandas<2.3" scipy scikit-learn statsmodels matplotlib seaborn tqdm pyyaml \
        mypy-extensions && pip install --no-deps obp==0.4.1
    # obp imports torch at module level; its NumPy code paths never call it. Without a torch wheel,
    # a stub package (class Tensor, and modules torch.nn, torch.optim, torch.utils.data) is enough.
    PYTHONPATH=/path/to/torch_stub:. python tests/simulate/obp_reference.py
"""

from __future__ import annotations

import json

from obp.ope import (DirectMethod, DoublyRobust, InverseProbabilityWeighting,
                     SelfNormalizedInverseProbabilityWeighting)

from tests.simulate._ope_data import fingerprint, logged_feedback


def main() -> None:
    out = {}
    for name, kw in {"with_positions": {}, "no_positions": {"len_list": 1}}.items():
        d = logged_feedback(**kw)
        args = dict(d)
        if name == "no_positions":
            args["position"] = None
        r = {
            "ips": InverseProbabilityWeighting().estimate_policy_value(
                reward=args["reward"], action=args["action"], position=args["position"], pscore=args["pscore"],
                action_dist=args["action_dist"]),
            "snips": SelfNormalizedInverseProbabilityWeighting().estimate_policy_value(
                reward=args["reward"], action=args["action"], position=args["position"], pscore=args["pscore"],
                action_dist=args["action_dist"]),
            "dm": DirectMethod().estimate_policy_value(
                position=args["position"], action_dist=args["action_dist"],
                estimated_rewards_by_reg_model=args["estimated_rewards_by_reg_model"]),
            "dr": DoublyRobust().estimate_policy_value(
                reward=args["reward"], action=args["action"], position=args["position"], pscore=args["pscore"],
                action_dist=args["action_dist"],
                estimated_rewards_by_reg_model=args["estimated_rewards_by_reg_model"]),
        }
        out[name] = {"fingerprint": fingerprint(d), "obp": {k: float(v) for k, v in r.items()}}
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
