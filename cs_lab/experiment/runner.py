"""The experiment runner: wires the pipeline stages (cs_lab/experiment/stages) together.

    prepare -> per model: tune -> fit -> recommend -> evaluate (validation and test, every window,
    every seed) -> track -> select (validation only) -> compare -> track -> simulate

In MLflow every run of one invocation nests under its ``<spec>@<started>`` parent run (stages/invocation).

Only this module (and the CLI) touches process-wide state: the tracker it is given, Optuna's logging.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from cs_lab._progress import showing
from cs_lab.errors import ConfigError
from cs_lab.experiment.bundle_table import bundle_table, format_bundle_table
from cs_lab.experiment.format import format_family, format_leaderboard, format_secondary
from cs_lab.experiment.metric_names import parse_metric_name
from cs_lab.experiment.spec import ExperimentSpec
from cs_lab.experiment.stages.compare import Comparison, compare
from cs_lab.experiment.stages.context import RunContext, RunOptions
from cs_lab.experiment.stages.evaluate import ModelScores, score_model
from cs_lab.experiment.stages.fit import fit
from cs_lab.experiment.stages.invocation import finish_invocation, start_invocation
from cs_lab.experiment.stages.prepare import Windows, prepare
from cs_lab.experiment.stages.select import Selection, select
from cs_lab.experiment.stages.simulate import simulate
from cs_lab.experiment.stages.track import (comparison_markdown, log_comparison, log_dataset_input, log_model,
                                             log_pyfunc)
from cs_lab.experiment.stages.tune import tune
from cs_lab.models import registry
from cs_lab.tracking.tracker import Tracker

__all__ = ["ExperimentRunner", "ExperimentResult", "RunOptions", "format_leaderboard"]


@dataclass
class ExperimentResult:
    spec: ExperimentSpec
    windows: Windows
    outcomes: dict[str, ModelScores] = field(default_factory=dict)
    selection: Selection | None = None
    compared: Comparison | None = None
    summary_run: str | None = None
    simulation: Any = None
    invocation_run: str | None = None       # the top-level `<spec>@<started>` run the others nest under

    @property
    def task(self):
        return self.windows.latest

    @property
    def leaderboard(self) -> pd.DataFrame | None:
        return None if self.compared is None else self.compared.leaderboard

    @property
    def comparison(self) -> pd.DataFrame | None:
        return None if self.compared is None else self.compared.family

    @property
    def winner(self) -> str | None:
        return None if self.selection is None else self.selection.winner


class ExperimentRunner:
    def __init__(self, spec: ExperimentSpec, tracker: Tracker, options: RunOptions) -> None:
        self.spec, self.tracker, self.opt = spec, tracker, options
        self.ctx = RunContext(spec, tracker, options)

    @property
    def trials_run(self) -> dict[str, list[int]]:
        return self.ctx.trials_run

    def run(self) -> ExperimentResult:
        spec, ctx = self.spec, self.ctx
        windows = prepare(ctx)
        result = ExperimentResult(spec, windows)
        with showing(self.opt.progress), ctx.closing_runs():
            parent = result.invocation_run = start_invocation(ctx)
            for i, m in enumerate(spec.models, 1):
                ctx.say(f"[{spec.name}] model {i}/{len(spec.models)}: {m.name}")
                result.outcomes[m.name] = self._model(m, windows)
            result.selection = select(result.outcomes, spec.metrics.objective)
            result.compared = compare(ctx, result.outcomes, result.selection)
            text = self._report(result)
            result.summary_run = log_comparison(ctx, result.outcomes, result.selection, result.compared,
                                                windows, text)
            if spec.simulation is not None:
                result.simulation = simulate(ctx, windows, result.outcomes, result.selection.winner)
            log_dataset_input(ctx, parent, windows)      # the invocation row's Dataset column
            self._finish(parent, result)
        return result

    def _finish(self, parent: str, result: ExperimentResult) -> None:
        """The invocation's row shows the answer: the winner (tag), its validation and test objective
        (metrics), the leaderboard (description)."""
        sel, board = result.selection, result.compared.leaderboard
        obj = sel.objective
        metrics = {f"winner.valid.{obj}": sel.valid[sel.winner]} if sel.winner in sel.valid else {}
        row = board.set_index("model")
        if sel.winner in row.index and obj in row.columns:
            metrics[f"winner.test.{obj}"] = float(row.loc[sel.winner, obj])
        won = result.outcomes.get(sel.winner)
        if won is not None and won.model_id:
            self.ctx.tracker.link_model(parent, won.model_id)   # the row's Models column: the winner's model
        finish_invocation(self.ctx, parent, {"winner": sel.winner, "selected_on": "validation"}, metrics,
                          comparison_markdown(self.spec.name, sel, board, ""))

    def tune(self, models: list[str] | None = None) -> dict[str, list[int]]:
        """Only the tuning stage, for every tunable model (or those named). Several processes
        started on the same spec with a shared ``storage`` join the same studies."""
        spec, ctx = self.spec, self.ctx
        unknown = set(models or ()) - {m.name for m in spec.models}
        if unknown:
            raise ConfigError(f"--model {sorted(unknown)}: not models of {spec.name} ({[m.name for m in spec.models]})")
        windows = prepare(ctx)
        with showing(self.opt.progress), ctx.closing_runs():
            for m in spec.models:
                space = spec.search_space(m)
                if (models is not None and m.name not in models) or not len(space):
                    continue
                base = registry.build(m.config, where=f"models[{m.name}].config").get_params()
                run = ctx.start(f"{m.name} (tuning worker)", tags={"model": base["model"], "model_name": m.name,
                                                                   "kind": "tuning_worker"})
                ctx.say(f"[{spec.name}] tuning {m.name}")
                tune(ctx, m, base, space, ctx.budget(m), windows.tuning, run)
                ctx.end(run)
        return ctx.trials_run

    # -- one model: tune -> score every window -> track ------------------------------
    def _model(self, m, windows: Windows) -> ModelScores:
        spec, ctx = self.spec, self.ctx
        base = registry.build(m.config, where=f"models[{m.name}].config").get_params()
        space = spec.search_space(m)
        trials = ctx.budget(m) if len(space) else 0
        run = ctx.start(m.name, tags={"model": base["model"], "model_name": m.name})
        ctx.tracker.log_params(run, {**{f"default.{k}": v for k, v in base.items()}, "tuning.trials": trials,
                                     "tuning.objectives": ",".join(ctx.objectives())})
        params, n_done = dict(base), 0
        if trials:
            tuned = tune(ctx, m, base, space, trials, windows.tuning, run)
            params, n_done = tuned.params, tuned.n_done
        ctx.tracker.log_params(run, params)
        scores = score_model(ctx, m.name, params, windows)
        scores.n_trials, scores.run_id = n_done, run
        log_model(ctx, run, scores, windows)
        if self.opt.log_models:
            latest = windows.latest
            scores.model_id = log_pyfunc(ctx, run, fit(ctx, m.name, params, latest.final.train,
                                                      latest.split.fingerprint).model, params, m.name)
        ctx.end(run)
        return scores

    def _report(self, result: ExperimentResult) -> str:
        spec, cmp = self.spec, result.compared
        counts = "test carts per window: " + ", ".join(
            f"{t.label}: {t.counts['test_carts']:,}" for t in result.windows)
        parts = [format_leaderboard(cmp.leaderboard, spec, cmp.shown, counts)]
        if cmp.family is not None:
            parts.append(format_family(cmp.family, spec.comparison.alpha, spec.comparison.resample,
                                       spec.comparison.bootstrap))
        if cmp.secondary is not None:
            parts.append(format_secondary(cmp.secondary, cmp.duplicates))
        if cmp.verdict is not None:
            parts.append("Verdict\n" + cmp.verdict.text())
        k = parse_metric_name(spec.metrics.objective).k
        bundles = bundle_table(result.outcomes, k, spec.comparison.bootstrap, spec.seed)
        if bundles is not None:
            parts.append(format_bundle_table(bundles, k))
        text = "\n\n".join(parts)
        self.ctx.say("\n" + text + "\n")
        return text
