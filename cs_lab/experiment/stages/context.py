"""What every stage reads: the spec, the tracker, the options, lineage tags; run bookkeeping."""

from __future__ import annotations

import contextlib
import hashlib
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cs_lab.experiment.lineage import code_version
from cs_lab.experiment.spec import ExperimentSpec, ModelSpec
from cs_lab.tracking.tracker import FAILED, FINISHED, KILLED, Tracker


@dataclass
class RunOptions:
    run_dir: Path
    trials: int | None = None          # overrides the spec's budgets
    resume: bool = True                # continue a killed run's study (trials already done are kept)
    storage: str | None = None         # shared Optuna storage URL
    progress: bool = True
    log_models: bool = True            # log a pyfunc model per model kind
    sampler_seed_offset: int = 0       # tuning workers sharing a study draw different proposals
    invocation: str | None = None      # the start stamp of this `cs-lab run` (names the parent runs)

    @property
    def cache_dir(self) -> Path:
        """Fitted models and recommendation lists, shared by the specs of one runs folder (keys hold
        the parameters, the training data's fingerprint and the code version)."""
        return self.run_dir.parent / ".models"


def content_key(obj: Any) -> str:
    """12 hex digits of a JSON-able object plus the code version: the key of every cached result."""
    payload = json.dumps({"obj": obj, "code": code_version()}, sort_keys=True, default=str)
    return hashlib.sha256(payload.encode()).hexdigest()[:12]


@dataclass
class RunContext:
    spec: ExperimentSpec
    tracker: Tracker
    options: RunOptions
    base_tags: dict[str, str] = field(default_factory=dict)
    open_runs: list[str] = field(default_factory=list)
    trials_run: dict[str, list[int]] = field(default_factory=dict)
    root: str | None = None            # the invocation's parent run: runs started without a parent nest here

    def say(self, msg: str) -> None:
        if self.options.progress:
            print(msg, file=sys.stderr, flush=True)

    def start(self, name: str, parent: str | None = None, tags: dict | None = None) -> str:
        run = self.tracker.start_run(name, parent_id=parent or self.root, tags={**self.base_tags, **(tags or {})})
        self.open_runs.append(run)
        return run

    def end(self, run: str, status: str = FINISHED) -> None:
        self.tracker.end_run(run, status)
        self.open_runs.remove(run)

    @contextlib.contextmanager
    def closing_runs(self):
        """Runs still open when work stops are ended KILLED (Ctrl-C, SIGTERM) or FAILED, never left RUNNING."""
        try:
            yield
        except BaseException as exc:
            status = KILLED if isinstance(exc, KeyboardInterrupt) else FAILED
            for run in reversed(self.open_runs):
                self.tracker.end_run(run, status)
            self.open_runs.clear()
            raise

    def budget(self, m: ModelSpec) -> int:
        """Trials for a model: --trials, else the model's own budget, else the spec's."""
        if self.options.trials is not None:
            return self.options.trials
        return m.trials if m.trials is not None else self.spec.tuning.trials

    def objectives(self) -> list[str]:
        return self.spec.tuning.objectives or [self.spec.metrics.objective]
