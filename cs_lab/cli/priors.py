"""`cs-lab priors estimate complete_journey [--out PATH] [--stores N] [--time-effects ...] [--json]`:
re-estimate the acceptance model's priors from The Complete Journey's real offers and write them
(atomically) to the shipped JSON; `cs-lab priors show`: the priors cs_lab loads, with their intervals."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

SOURCES = ("complete_journey",)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("priors", help="the acceptance model's priors: estimate from real data, or show")
    s = p.add_subparsers(dest="priors_command", required=True, metavar="ACTION")
    e = s.add_parser("estimate", help="estimate priors from a dataset's real offers and write them as JSON")
    e.add_argument("source", choices=SOURCES, help="the dataset whose real offers are measured")
    e.add_argument("--out", default=None, help="output JSON (default: the file shipped in cs_lab/simulate/priors/data)")
    e.add_argument("--stores", type=int, default=None, help="busiest stores in the display/mailer panel (default 10)")
    e.add_argument("--time-effects", choices=("store_week", "week", "store_week+product_week"),
                   default=None, help="time fixed effects: each store's week and each product's week (default), "
                   "each store's week, or the chain's week")
    e.add_argument("--include-censored", action="store_true",
                   help="pool coupon campaigns that run partly outside the observed dates")
    e.add_argument("--placebo", action="store_true",
                   help="also fit next week's promotions (a lead placebo: should be ~0) and print them")
    e.add_argument("--json", action="store_true", help="print the priors as JSON instead of a table")
    e.set_defaults(func=cmd_estimate)
    sh = s.add_parser("show", help="the priors cs_lab loads by default")
    sh.set_defaults(func=cmd_show)


def _fmt(v: float) -> str:
    return f"{v:.4g}"


def print_priors(priors, file=None) -> None:
    file = file or sys.stdout  # looked up at call time (a default of sys.stdout is frozen at import)
    rows = [(p.name, _fmt(p.value), _fmt(p.se), f"[{_fmt(p.ci_low)}, {_fmt(p.ci_high)}]", p.distribution,
             f"{p.n:,}" if p.n is not None else "-") for p in priors]
    head = ("name", "value", "se", "95% interval", "distribution", "n")
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head))]
    for r in [head, *rows]:
        print("  ".join(c.ljust(w) if i in (0, 3, 4) else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths))),
              file=file)


def cmd_estimate(args) -> int:
    from cs_lab.simulate.exposure.estimate import CJEstimateConfig, estimate_complete_journey
    from cs_lab.simulate.priors.schema import DATA_DIR, save_priors

    overrides = {k: v for k, v in (("n_stores", args.stores), ("time_effects", args.time_effects)) if v is not None}
    if args.include_censored:
        overrides["include_censored"] = True
    try:
        config = CJEstimateConfig(**overrides)
    except Exception as exc:  # pydantic ValidationError -> a ConfigError naming the option
        from cs_lab.errors import ConfigError
        raise ConfigError(f"priors estimate: {exc}") from None
    res = estimate_complete_journey(config, progress=True, say=lambda s: print(f"- {s}", file=sys.stderr),
                                    placebo=args.placebo)
    out = Path(args.out) if args.out else DATA_DIR / f"{args.source}.json"
    save_priors(res.priors, out)
    if args.json:
        print(json.dumps([p.model_dump(mode="json") for p in res.priors], indent=2))
    else:
        print_priors(res.priors)
        print("\ncoupon campaigns (uptake with household-clustered and Wilson 95% intervals):")
        print(res.campaigns.to_string(index=False, float_format=lambda v: f"{v:.4f}"))
    if res.placebo is not None:
        print_placebo(res, file=sys.stderr if args.json else sys.stdout)
    print(f"wrote {len(res.priors)} priors to {out} in {res.seconds:.0f} s", file=sys.stderr)
    return 0


def print_placebo(res, file=None) -> None:
    file = file or sys.stdout
    fit = res.placebo.fit
    print(f"\nlead placebo ({res.placebo.time_effects} time effects): coefficient of next week's promotion "
          "next to this week's (absolute change of the weekly purchase probability; 95% CI)", file=file)
    for name in ("display_only", "mailer_only", "display_and_mailer"):
        if name not in fit.names or f"next_{name}" not in fit.names:
            continue
        b, se = fit.coef(name), fit.se[fit.names.index(name)]
        lb, lse = res.placebo.lead(name)
        print(f"  {name:20s} this week {b:+.3e} [{b - 1.96 * se:+.3e}, {b + 1.96 * se:+.3e}]   "
              f"next week {lb:+.3e} [{lb - 1.96 * lse:+.3e}, {lb + 1.96 * lse:+.3e}]", file=file)


def cmd_show(args) -> int:
    from cs_lab.simulate.priors import load_priors

    print_priors(list(load_priors()))
    return 0
