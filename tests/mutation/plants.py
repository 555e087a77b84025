"""Replay the five planted bugs of the issue "Tests that bite", one at a time, in a throw-away copy of
the package, and report whether that module's tests catch each.

    python -m tests.mutation.plants            # every plant, the module's current tests
    python -m tests.mutation.plants --before   # also the test files that existed before the issue

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
    Plant("objective direction swapped", "cs_lab/experiment/objective.py",
          'return "minimize" if metric in ("popularity_bias",) else "maximize"',
          'return "maximize" if metric in ("popularity_bias",) else "minimize"',
          ("tests/experiment/test_best_trial.py",), ("tests/experiment/test_runner.py",)),
    Plant("Pareto best trial picks the worst on the first objective", "cs_lab/experiment/study.py",
          "sign = 1 if study.directions[0]", "sign = -1 if study.directions[0]",
          ("tests/experiment/test_best_trial.py",), ("tests/experiment/test_runner.py",)),
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
                    outcome = box.pytest(list(targets), timeout=timeout)
                finally:
                    box.restore(p.path)
                rows.append({"plant": p.name, "tests": label, "caught": outcome in ("failed", "timeout"),
                             "outcome": outcome, "seconds": round(time.perf_counter() - t0, 1)})
                print(f"{'CAUGHT  ' if rows[-1]['caught'] else 'SURVIVED'} [{label:6}] {p.name} "
                      f"({outcome}, {rows[-1]['seconds']} s; {' '.join(targets)})", flush=True)
        # the unplanted copy must pass the same tests, or "caught" means nothing
        for target in sorted({t for p in plants for t in p.tests}):
            if box.pytest([target], timeout=timeout) != "passed":
                raise SystemExit(f"the unplanted tests fail: {target}")
    return rows


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--before", action="store_true", help="also run the test files that existed before")
    ap.add_argument("--timeout", type=float, default=600)
    args = ap.parse_args(argv)
    rows = replay(before=args.before, timeout=args.timeout)
    now = [r for r in rows if r["tests"] == "now"]
    print(f"{sum(r['caught'] for r in now)}/{len(now)} plants caught by the current tests")
    return 0 if all(r["caught"] for r in now) else 1


if __name__ == "__main__":
    sys.exit(main())
