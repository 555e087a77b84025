"""`cs-lab ope open_bandit --campaign all|men|women [--json] [--clip W] [--n-boot B] [--seed S]
[--policy-estimate frequency|pscore] [--no-track] [--tracking-uri URI]` and
`cs-lab ope open_bandit --write-priors [--priors-out PATH]` (see docs/ope.md)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

EXPERIMENT = "open_bandit_ope"


def _positive_float(text: str) -> float:
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number > 0, got {text!r}") from None
    if not v > 0:
        raise argparse.ArgumentTypeError(f"must be > 0, got {text!r}")
    return v


def register(sub: argparse._SubParsersAction) -> None:
    from cs_lab.data.loaders.open_bandit import CAMPAIGNS

    p = sub.add_parser("ope", help="off-policy evaluation checked against a real logged A/B test")
    osub = p.add_subparsers(dest="ope_command", required=True, metavar="DATASET")
    ob = osub.add_parser("open_bandit", help="estimate BTS's click rate from the Random log (Open Bandit Dataset)",
                         description="IPS, SNIPS, DM and DR estimates of the Bernoulli Thompson Sampling policy's "
                                     "click rate from the uniform Random log, beside the BTS log's own click rate. "
                                     "With --write-priors: only write the slot examination priors.")
    ob.add_argument("--campaign", choices=CAMPAIGNS, default="all", help="campaign (default all)")
    ob.add_argument("--json", action="store_true", help="print one JSON object")
    ob.add_argument("--clip", type=_positive_float, default=None, help="cap importance weights at W (default: none)")
    ob.add_argument("--n-boot", type=int, default=1000, help="bootstrap replicates (default 1000)")
    ob.add_argument("--seed", type=int, default=0, help="seed of folds and bootstrap (default 0)")
    ob.add_argument("--folds", type=int, default=5, help="cross-fitting folds of the click model (default 5)")
    ob.add_argument("--policy-estimate", choices=("frequency", "pscore"), default="frequency",
                    help="how BTS's action distribution is read from its log (default frequency; docs/ope.md)")
    ob.add_argument("--write-priors", action="store_true",
                    help="write the slot examination priors (all three Random logs) and exit")
    ob.add_argument("--priors-out", type=Path, default=None,
                    help="where --write-priors writes (default cs_lab/simulate/priors/data/open_bandit.json)")
    ob.add_argument("--tracking-uri", default=None,
                    help="MLflow tracking URI (default: $MLFLOW_TRACKING_URI, else sqlite:///mlflow.db here)")
    ob.add_argument("--no-track", action="store_true", help="do not log to MLflow")
    ob.set_defaults(func=cmd_open_bandit)


def cmd_open_bandit(args) -> int:
    from cs_lab.data.loaders.open_bandit import load_open_bandit
    from cs_lab.errors import ConfigError

    if args.write_priors:
        return _write_priors(args)
    from pydantic import ValidationError

    from cs_lab.simulate.ope.pipeline import OpeConfig, evaluate_policy
    from cs_lab.simulate.ope.reward_model import RewardModelConfig

    try:
        cfg = OpeConfig(clip=args.clip, n_boot=args.n_boot, seed=args.seed, policy_estimate=args.policy_estimate,
                        reward_model=RewardModelConfig(n_folds=args.folds))
    except ValidationError as exc:
        err = exc.errors()[0]
        flag = {"n_folds": "folds"}.get(str(err["loc"][-1]), str(err["loc"][-1])).replace("_", "-")
        raise ConfigError(f"--{flag}: {err['msg']}") from None
    behavior = load_open_bandit("random", args.campaign)
    target = load_open_bandit("bts", args.campaign)
    res = evaluate_policy(behavior, target, cfg, progress=not args.json)
    out = res.to_dict()
    out["sources"] = {**behavior.source_sha256, **target.source_sha256}
    if not args.no_track:
        out["mlflow_run_id"] = _track(res, out, args)
    print(json.dumps(out, indent=2) if args.json else res.summary())
    return 0


def _track(res, out: dict, args) -> str:
    from cs_lab.cli.run import make_tracker
    from cs_lab.tracking import tracker as T

    tracker = make_tracker(EXPERIMENT, args.tracking_uri, False)
    run = tracker.start_run(f"open_bandit-{res.campaign}", tags={"dataset": "open_bandit",
                                                                 "campaign": res.campaign})
    try:
        cfg = res.config
        tracker.log_params(run, {"campaign": res.campaign, "clip": cfg.clip, "n_boot": cfg.n_boot, "seed": cfg.seed,
                                 "alpha": cfg.alpha, "policy_estimate": cfg.policy_estimate,
                                 "n_folds": cfg.reward_model.n_folds, "l2": cfg.reward_model.l2,
                                 "item_onehot": cfg.reward_model.item_onehot, "ci_method": out["ci_method"]})
        m = {"on_policy_ctr": res.on_policy["ctr"], "on_policy_ci_low": res.on_policy["ci_low"],
             "on_policy_ci_high": res.on_policy["ci_high"], "random_ctr": res.behavior["ctr"],
             "unsupported_mass": res.support.unsupported_mass, "weight_ess": res.weights["ess"],
             "weight_max": res.weights["max"], "oof_log_loss": res.reward_model["oof_log_loss"],
             "constant_log_loss": res.reward_model["constant_log_loss"]}
        for e in res.estimates:
            for k in ("value", "ci_low", "ci_high", "diff_ci_low", "diff_ci_high", "relative_error"):
                m[f"{e['estimator']}_{k}"] = e[k]
            m[f"{e['estimator']}_overlaps"] = float(e["overlaps_on_policy"])
        tracker.log_metrics(run, m)
        T.log_json(tracker, run, out, "ope_open_bandit.json")
        tracker.log_text(run, res.summary(), "summary.txt")
    except BaseException:
        tracker.end_run(run, T.FAILED)
        raise
    tracker.end_run(run)
    return run


def _write_priors(args) -> int:
    from cs_lab.data.loaders.open_bandit import CAMPAIGNS, load_open_bandit
    from cs_lab.simulate.ope.examination import PRIORS_FILE, examination_table, write_examination_priors

    logs = [load_open_bandit("random", c) for c in CAMPAIGNS]
    path, priors = write_examination_priors(logs, args.priors_out or PRIORS_FILE)
    table = examination_table(logs)
    if args.json:
        print(json.dumps({"path": str(path), "priors": [p.model_dump(mode="json") for p in priors],
                          "by_campaign": table}, indent=2, default=float))
        return 0
    print("slot examination relative to slot 1 (Random logs: CTR(slot k) / CTR(slot 1), 95% delta-method CI)")
    for camp, rows in table.items():
        print(f"  {camp:<7} " + "   ".join(f"slot {r['slot']}: {r['ratio']:.3f} [{r['ci_low']:.3f}, "
                                         f"{r['ci_high']:.3f}] ({r['clicks']} clicks)" for r in rows))
    print(f"wrote {len(priors)} priors to {path}", file=sys.stderr)
    return 0
