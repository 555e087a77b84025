"""Replay the five planted bugs of the issue "Tests that bite", one at a time, in a throw-away copy of
the package, and report whether that module's tests catch each.

    python -m tests.mutation.plants            # every plant, the module's current tests
    python -m tests.mutation.plants --before   # also the test files that existed before the issue
    python -m tests.mutation.plants --only contract   # bugs the model contract suite must catch

Exit status 1 when a plant survives. ``tests/mutation/test_plants.py`` (marked slow) runs it.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass

from tests.mutation.sandbox import Sandbox


@dataclass(frozen=True)
class Plant:
    name: str
    path: str
    old: str
    new: str
    tests: tuple[str, ...]          # the module's tests now
    before: tuple[str, ...] = ()    # the module's tests when the bug survived
    select: str | None = None       # pytest -k expression


PLANTS = (
    Plant("lift table without Holm", "cs_lab/simulate/stats/lift.py",
          "p_holm[sel] = holm(pv[sel])", "p_holm[sel] = pv[sel]",
          ("tests/simulate/test_stats.py", "tests/simulate/test_lift_holm.py"),
          ("tests/simulate/test_stats.py",)),
    Plant("bootstrap alpha halved twice (97.5% labelled 95%)", "cs_lab/eval/stats/bootstrap.py",
          "alpha = (1.0 - ci) / 2.0", "alpha = (1.0 - ci) / 4.0",
          ("tests/eval/stats",), ("tests/eval/stats/test_bootstrap.py",)),
    Plant("leakage check without the cut-off branch", "cs_lab/data/splits/base.py",
          "if self.cutoff is not None:", "if False:",
          ("tests/data/splits",), ("tests/data/splits/test_splits.py",)),
    Plant("holdout fraction round -> floor", "cs_lab/data/splits/holdout.py",
          "np.round(fraction * size)", "np.floor(fraction * size)",
          ("tests/data/splits",), ("tests/data/splits/test_splits.py",)),
    # (direction() moved from objective.py to metric_names.py, which objective.py re-exports)
    Plant("objective direction swapped", "cs_lab/experiment/metric_names.py",
          'return "minimize" if parse_metric_name(name).metric in MINIMISED else "maximize"',
          'return "maximize" if parse_metric_name(name).metric in MINIMISED else "minimize"',
          ("tests/experiment/test_best_trial.py",), ("tests/experiment/test_runner.py",)),
    Plant("Pareto best trial picks the worst on the first objective", "cs_lab/experiment/study.py",
          "sign = 1 if study.directions[0]", "sign = -1 if study.directions[0]",
          ("tests/experiment/test_best_trial.py",), ("tests/experiment/test_runner.py",)),
    # next basket (docs/tasks.md): the target, the history and the anonymous lines
    Plant("next basket: second-to-last basket taken as the target", "cs_lab/data/splits/next_basket.py",
          'target = kept[(kept["from_end"].to_numpy() == 0)', 'target = kept[(kept["from_end"].to_numpy() == 1)',
          ("tests/data/splits/test_next_basket.py",)),
    Plant("next basket: anonymous lines kept in training", "cs_lab/data/splits/next_basket.py",
          "in_kept = lines[S.BASKET].isin(kept[S.BASKET]).to_numpy() & ~anonymous",
          "in_kept = lines[S.BASKET].isin(kept[S.BASKET]).to_numpy() | anonymous",
          ("tests/data/splits/test_next_basket.py",)),
    Plant("next basket: the test basket leaks into the history", "cs_lab/experiment/task.py",
          "tr_full = Interactions.from_lines(split.train,",
          "tr_full = Interactions.from_lines(__import__('pandas').concat([split.train, split.test]),",
          ("tests/experiment/test_next_basket.py",), select="not runner"),
)

# bugs the contract suite (cs_lab/testing/contract.py) must catch in any model
CONTRACT_PLANTS = (
    Plant("cart index -1 wraps to the last item (Python negative indexing)", "cs_lab/data/queries.py",
          "ok = (cols >= 0) & (cols < n_items)", "cols = cols % n_items\n        ok = cols < n_items",
          ("tests/models/test_popularity.py",), select="unknown_cart"),
    Plant("unknown cart items mapped to item 0", "cs_lab/data/queries.py",
          "it = items.index(cart[S.ITEM].to_numpy())", "it = np.maximum(items.index(cart[S.ITEM].to_numpy()), 0)",
          ("tests/models/test_popularity.py",), select="unknown_cart"),
    Plant("ALS popularity fallback lost for carts with no signal", "cs_lab/models/implicit_cf/factors.py",
          "s[none] = np.where(self.popularity_ > 0, self.popularity_, -np.inf)", "s[none] = -np.inf",
          ("tests/models/implicit_cf/test_contract.py",), select="TestALSContract and empty_cart"),
    Plant("random baseline draws from one generator per call, not per query", "cs_lab/models/baselines/random_items.py",
          "s[row] = np.random.default_rng([self.config.seed, key]).random(n)",
          "s[row] = self.__dict__.setdefault('_rng', np.random.default_rng(self.config.seed)).random(n)",
          ("tests/models/baselines/test_baselines.py",), select="TestRandomContract and twice"),
    Plant("random baseline seeded by the row in the score block", "cs_lab/models/baselines/random_items.py",
          "s[row] = np.random.default_rng([self.config.seed, key]).random(n)",
          "s[row] = np.random.default_rng([self.config.seed, row]).random(n)",
          ("tests/models/baselines/test_baselines.py",), select="TestRandomContract and batch_size"),
)


def replay(plants=PLANTS, before: bool = False, timeout: float = 600) -> list[dict]:
    rows = []
    with Sandbox() as box:
        for p in plants:
            suites = [("now", p.tests)] + ([("before", p.before)] if before and p.before else [])
            for label, targets in suites:
                box.edit(p.path, p.old, p.new)
                t0 = time.perf_counter()
                try:
                    outcome = box.pytest(list(targets), timeout=timeout,
                                         extra=["-k", p.select] if p.select else None)
                finally:
                    box.restore(p.path)
                if outcome == "error":
                    raise RuntimeError(f"plant {p.name!r} broke collection, not behaviour:\n{box.last_output}")
                rows.append({"plant": p.name, "tests": label, "caught": outcome in ("failed", "timeout"),
                             "outcome": outcome, "seconds": round(time.perf_counter() - t0, 1)})
                print(f"{'CAUGHT  ' if rows[-1]['caught'] else 'SURVIVED'} [{label:6}] {p.name} "
                      f"({outcome}, {rows[-1]['seconds']} s; {' '.join(targets)})", flush=True)
        # the unplanted copy must pass the same tests, or "caught" means nothing
        for p in plants:
            if box.pytest(list(p.tests), timeout=timeout, extra=["-k", p.select] if p.select else None) != "passed":
                raise SystemExit(f"the unplanted tests of {p.name!r} fail: {p.tests}")
    return rows


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--before", action="store_true", help="also run the test files that existed before")
    ap.add_argument("--timeout", type=float, default=600)
    ap.add_argument("--only", choices=["issue", "contract"], help="one group of plants (default: both)")
    args = ap.parse_args(argv)
    plants = {"issue": PLANTS, "contract": CONTRACT_PLANTS, None: PLANTS + CONTRACT_PLANTS}[args.only]
    rows = replay(plants, before=args.before, timeout=args.timeout)
    now = [r for r in rows if r["tests"] == "now"]
    print(f"{sum(r['caught'] for r in now)}/{len(now)} plants caught by the current tests")
    return 0 if all(r["caught"] for r in now) else 1


if __name__ == "__main__":
    sys.exit(main())
