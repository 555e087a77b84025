"""Stage 2: Optuna on the earliest window's validation split -> the parameters to refit."""

from __future__ import annotations

import sys
import warnings
from dataclasses import dataclass

import optuna
import pandas as pd

from cs_lab.experiment import plots
from cs_lab.experiment.metric_names import direction
from cs_lab.experiment.objective import Objective
from cs_lab.experiment.spec import ModelSpec
from cs_lab.experiment.stages.context import RunContext, content_key
from cs_lab.experiment.stages.fit import model_dir, store
from cs_lab.experiment.study import best_params, done_trials, fail_stale_trials, open_study, storage_for
from cs_lab.experiment.task import PreparedTask
from cs_lab.tracking.tracker import log_dataframe


@dataclass
class Tuned:
    params: dict
    n_done: int
    best_valid: dict[str, float]


def study_name(ctx: RunContext, m: ModelSpec, task: PreparedTask) -> str:
    spec = ctx.spec
    key = content_key({"model": m.model_dump(), "tuning": spec.tuning.model_dump(exclude={"trials", "storage"}),
                       "objectives": ctx.objectives(), "validation": task.inner.fingerprint,
                       "holdout": task.tuning.eval.holdout.fingerprint, "explore": spec.task.explore})
    return f"{spec.name}.{m.name}.{key}"


def tune(ctx: RunContext, m: ModelSpec, base: dict, space, trials: int, task: PreparedTask, run: str) -> Tuned:
    spec, opt = ctx.spec, ctx.options
    objectives = ctx.objectives()
    shared_url = opt.storage or spec.tuning.storage
    study = open_study(study_name(ctx, m, task), storage_for(opt.run_dir, shared_url),
                       [direction(o) for o in objectives], spec.tuning.seed + opt.sampler_seed_offset,
                       spec.tuning.pruning)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        study.set_metric_names(objectives)
    # a trial left RUNNING in the run folder's own journal was killed with its process; in a
    # shared storage it may belong to a live worker, so it is left alone there
    stale = fail_stale_trials(study) if opt.resume and shared_url is None else 0
    before = done_trials(study)
    remaining = max(0, trials - before)
    ctx.say(f"    tuning: {before} trial(s) already done{f', {stale} stale marked failed' if stale else ''}, "
            f"{remaining} to run")
    if remaining:
        def keep(params: dict, model) -> None:   # the chosen trial's refit on this split becomes a cache hit
            d = model_dir(ctx, m.name, params, task.inner.fingerprint)
            if not (d / "config.json").is_file():
                store(d, model)

        objective = Objective(base, space, task.tuning, objectives, spec.metrics.ks, ctx.tracker, run,
                              prune=spec.tuning.pruning, on_fitted=keep)
        # several workers may share the study (--storage): stop when it holds `trials` finished trials
        stop = optuna.study.MaxTrialsCallback(trials, states=(optuna.trial.TrialState.COMPLETE,
                                                              optuna.trial.TrialState.PRUNED))
        ran = ctx.trials_run.setdefault(m.name, [])
        study.optimize(objective, n_trials=remaining, timeout=spec.tuning.timeout_s,
                       callbacks=[stop, lambda st, t: ran.append(t.number)],
                       show_progress_bar=opt.progress and sys.stderr.isatty(), gc_after_trial=True)
    params = {**base, **best_params(study)}
    values = study.best_trials[0].values if len(objectives) > 1 else [study.best_value]
    best = dict(zip(objectives, values))
    ctx.tracker.log_metrics(run, {f"best_valid.{o}": v for o, v in best.items()})
    log_study(ctx, run, study, m.name)
    return Tuned(params, done_trials(study), best)


def log_study(ctx: RunContext, run: str, study, name: str) -> None:
    tracker = ctx.tracker
    figs = {"plots/optimisation_history.png": plots.optimisation_history(study, f"{name}: optimisation history"),
            "plots/param_importances.png": plots.param_importances(study, f"{name}: parameter importances")}
    if len(study.directions) > 1:
        figs["plots/pareto_front.png"] = plots.pareto_front(study, f"{name}: Pareto front")
        front = pd.DataFrame([{"trial": t.number, **dict(zip(study.metric_names, t.values)), **t.params}
                              for t in study.best_trials])
        log_dataframe(tracker, run, front, "pareto_front.csv")
    for path, fig in figs.items():
        if fig is not None:
            tracker.log_figure(run, fig, path)
            plots.close(fig)
    value_attr = "value" if len(study.directions) == 1 else "values"
    trials = study.trials_dataframe(attrs=("number", value_attr, "state", "params", "duration")) \
        if study.trials else pd.DataFrame()
    if len(trials):
        trials = trials.astype({c: str for c in trials.columns if trials[c].dtype == object})
        for c in trials.columns:
            if str(trials[c].dtype).startswith("timedelta"):
                trials[c] = trials[c].dt.total_seconds()
        log_dataframe(tracker, run, trials, "trials.csv")
