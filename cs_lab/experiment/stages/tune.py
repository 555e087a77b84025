"""Stage 2: Optuna on the earliest window's validation split -> the parameters to refit."""

from __future__ import annotations

import contextlib
import warnings
from dataclasses import dataclass

import optuna
import pandas as pd

from cs_lab._progress import bar, enabled
from cs_lab.experiment import plots
from cs_lab.experiment.metric_names import direction
from cs_lab.experiment.objective import Objective, iterations_of
from cs_lab.experiment.spec import ModelSpec
from cs_lab.experiment.stages.context import RunContext, content_key
from cs_lab.experiment.stages.fit import key_lock, load_cached, model_dir, store
from cs_lab.experiment.study import (BudgetCallback, best_params, budget_left, default_trial, done_trials,
                                     enqueue_default, fail_stale_trials, open_study, sampler_name, storage_for,
                                     trial_counts)
from cs_lab.experiment.task import PreparedTask
from cs_lab.tracking.tracker import log_dataframe


@dataclass
class Tuned:
    params: dict
    n_done: int
    best_valid: dict[str, float]
    n_complete: int = 0
    n_pruned: int = 0
    default_valid: dict[str, float] | None = None   # the default configuration's trial, if it completed


def study_name(ctx: RunContext, m: ModelSpec, task: PreparedTask) -> str:
    spec = ctx.spec
    key = content_key({"model": m.model_dump(exclude={"trials", "timeout"}),
                       "tuning": spec.tuning.model_dump(exclude={"trials", "storage", "timeout", "max_pruned"}),
                       "objectives": ctx.objectives(), "validation": task.inner.fingerprint,
                       "holdout": task.tuning.eval.holdout.fingerprint, "explore": spec.task.explore})
    return f"{spec.name}.{m.name}.{key}"


def tune(ctx: RunContext, m: ModelSpec, base: dict, space, trials: int, task: PreparedTask, run: str) -> Tuned:
    """Optuna on the tuning split: the default configuration first, then ``trials`` - 1 more
    completed trials (pruned ones replaced up to tuning.max_pruned), within tuning.timeout."""
    spec, opt = ctx.spec, ctx.options
    objectives = ctx.objectives()
    shared_url = opt.storage or spec.tuning.storage
    max_pruned = spec.tuning.max_pruned if spec.tuning.max_pruned is not None else trials
    timeout = m.timeout if m.timeout is not None else spec.tuning.timeout
    directions = [direction(o) for o in objectives]
    iterations = iterations_of(base)
    study = open_study(study_name(ctx, m, task), storage_for(opt.run_dir, shared_url), directions,
                       spec.tuning.seed + opt.sampler_seed_offset, spec.tuning.pruning, budget=trials,
                       warmup_steps=max(1, iterations // 2))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        study.set_metric_names(objectives)
    # a trial left RUNNING in the run folder's own journal was killed with its process; in a
    # shared storage it may belong to a live worker, so it is left alone there
    stale = fail_stale_trials(study) if opt.resume and shared_url is None else 0
    point, moved = space.default_point(base, f"models[{m.name}].search")
    if enqueue_default(study, point) and moved:
        ctx.say("    tuning: default trial moved into the search space: " + ", ".join(
            f"{k} {a!r} -> {b!r}" for k, (a, b) in moved.items()))
    n_complete, n_pruned = trial_counts(study)
    remaining = budget_left(study, trials, max_pruned)
    ctx.say(f"    tuning: {sampler_name(directions, trials)}; {n_complete} complete + {n_pruned} pruned "
            f"trial(s) already done{f', {stale} stale marked failed' if stale else ''}; budget {trials} "
            f"complete, up to {max_pruned} pruned replaced{f', timeout {timeout:g} s' if timeout else ''}")
    ctx.tracker.set_tags(run, {"tuning.sampler": sampler_name(directions, trials)})
    ctx.tracker.log_params(run, {"tuning.max_pruned": max_pruned, "tuning.timeout": timeout,
                                 "tuning.warmup_steps": max(1, iterations // 2)})
    if remaining:
        def keep(params: dict, model) -> None:   # the chosen trial's refit on this split becomes a cache hit
            d = model_dir(ctx, m.name, params, task.inner.fingerprint)
            if not (d / "config.json").is_file():
                store(d, model)

        @contextlib.contextmanager
        def cached(params: dict):   # pruning off: a fit of the same point by another spec is reused
            d = model_dir(ctx, m.name, params, task.inner.fingerprint)
            with key_lock(d):
                yield load_cached(d)

        objective = Objective(base, space, task.tuning, objectives, spec.metrics.ks, ctx.tracker, run,
                              prune=spec.tuning.pruning, prune_queries=spec.tuning.prune_queries, on_fitted=keep,
                              cached=cached, label=m.name)
        # several workers may share the study (--storage): each stops when the study's counts reach
        # the budget (read from the storage after every trial)
        ran = ctx.trials_run.setdefault(m.name, [])
        with bar(remaining, f"tuning {m.name}", "trial", min_total=1) as progress:
            def after_trial(st, t) -> None:
                ran.append(t.number)
                progress.update()
                line = heartbeat(st, t, m.name, trials)
                if enabled():
                    progress.set_postfix_str(line.split(": ", 1)[1])
                else:
                    ctx.say("    " + line)

            study.optimize(objective, n_trials=remaining, timeout=timeout,
                           callbacks=[BudgetCallback(trials, max_pruned), after_trial], gc_after_trial=True)
    params = {**base, **best_params(study)}
    best = dict(zip(objectives, best_trial(study).values))   # the trial whose params are chosen
    n_complete, n_pruned = trial_counts(study)
    default = default_trial(study)
    default_valid = (dict(zip(objectives, default.values)) if default is not None and default.values
                     else None)
    log_tuning_summary(ctx, run, study, best, default_valid, n_complete, n_pruned)
    log_study(ctx, run, study, m.name)
    return Tuned(params, done_trials(study), best, n_complete, n_pruned, default_valid)


def heartbeat(study, trial, name: str, budget: int) -> str:
    """One line per finished trial: its state and value, the best so far, the completed count."""
    state = trial.state.name
    if trial.values:
        value = f" {trial.values[0]:.4f}"
    elif trial.intermediate_values:
        value = f" {trial.intermediate_values[max(trial.intermediate_values)]:.4f} (last intermediate)"
    else:
        value = ""
    took = f" in {trial.duration.total_seconds():.1f}s" if trial.duration is not None else ""
    done = [t for t in study.get_trials(deepcopy=False) if t.state.name == "COMPLETE" and t.values]
    best = ""
    if done:
        sign = 1 if study.directions[0] == optuna.study.StudyDirection.MAXIMIZE else -1
        best = f"; best {max((t.values[0] for t in done), key=lambda v: sign * v):.4f}"
    return f"{name} trial {trial.number}: {state.lower()}{value}{took}{best}; {len(done)}/{budget} complete"


def best_trial(study):
    """Single objective: the best trial; several: the Pareto trial best on the first objective."""
    if len(study.directions) == 1:
        return study.best_trial
    sign = 1 if study.directions[0] == optuna.study.StudyDirection.MAXIMIZE else -1
    return max(study.best_trials, key=lambda t: sign * t.values[0])


def log_tuning_summary(ctx: RunContext, run: str, study, best: dict[str, float],
                       default_valid: dict[str, float] | None, n_complete: int, n_pruned: int) -> None:
    """On the model's parent run: trial counts, the default trial's and the best trial's validation
    values, and the best trial's learning curve (its intermediate values as steps)."""
    first = next(iter(best))
    top = best_trial(study)
    metrics = {"tuning.n_complete": n_complete, "tuning.n_pruned": n_pruned,
               "tuning.best_value": best[first], "tuning.best_trial": top.number,
               **{f"best_valid.{o}": v for o, v in best.items()}}
    if default_valid is not None:
        metrics["tuning.default_value"] = default_valid[first]
        metrics.update({f"tuning.default.{o}": v for o, v in default_valid.items()})
    ctx.tracker.log_metrics(run, metrics)
    for step, value in sorted(top.intermediate_values.items()):
        ctx.tracker.log_metrics(run, {f"tuning.best_curve.{first}": value}, step=step)
    d = "n/a (not completed)" if default_valid is None else f"{default_valid[first]:.4f}"
    ctx.say(f"    tuning: {n_complete} complete, {n_pruned} pruned; valid {first}: default {d}, "
            f"best {best[first]:.4f} (trial {top.number})")


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
