"""Stage 1: spec -> the rolling-origin test windows, each with its validation split and holdouts."""

from __future__ import annotations

import time
from dataclasses import dataclass

import optuna

from cs_lab.data.cache import cache_dir, remove_stale_tmp
from cs_lab.experiment.lineage import describe
from cs_lab.experiment.stages.context import RunContext
from cs_lab.experiment.task import PreparedTask, prepare_windows


@dataclass
class Windows:
    tasks: list[PreparedTask]          # earliest first

    @property
    def tuning(self) -> PreparedTask:
        """Tuning uses the earliest window's validation split: data before every test window."""
        return self.tasks[0]

    @property
    def latest(self) -> PreparedTask:
        return self.tasks[-1]

    def __iter__(self):
        return iter(self.tasks)

    def __len__(self) -> int:
        return len(self.tasks)


def prepare(ctx: RunContext) -> Windows:
    """Quiet Optuna, make the run folder, prepare every window, set the lineage tags."""
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    spec = ctx.spec
    ctx.options.run_dir.mkdir(parents=True, exist_ok=True)
    remove_stale_tmp(ctx.options.cache_dir)              # left by a killed run: models, recommendations
    remove_stale_tmp(cache_dir() / "datasets")           # and prepared data
    nb = spec.task.kind == "next_basket"
    what = (f"next basket (customers with >= {spec.task.min_baskets} baskets, empty carts)" if nb
            else "basket completion")
    ctx.say(f"[{spec.name}] preparing {spec.dataset}, {what}: {spec.split.windows} test window(s), validation "
            f"splits, holdouts{' (explore task: history excluded)' if spec.task.explore else ''} ...")
    t0 = time.perf_counter()
    windows = Windows(prepare_windows(spec))
    for t in windows:
        c = t.counts
        unit = "customers" if nb else "carts"
        ctx.say(f"    {t.label}: {t.final.train.n_baskets:,} training baskets; test {c['test_carts']:,} of "
                f"{c['test_carts_eligible']:,} eligible {unit}; validation {c['validation_carts']:,} of "
                f"{c['validation_carts_eligible']:,}")
    ctx.say(f"    prepared in {time.perf_counter() - t0:.1f}s")
    lineage = describe()
    ctx.base_tags = {**windows.latest.tags(), **lineage, "spec_hash": spec.spec_hash, "spec_name": spec.name,
                     "task": "explore" if spec.task.explore else "standard", "windows": str(len(windows))}
    return windows
