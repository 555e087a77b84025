"""Optuna objectives: params from the search space -> model -> fit on the tuning period ->
evaluate on validation carts. Intermediate values are reported per iteration (ALS, BPR,
LMF per iteration; LightFM per epoch) so the pruner can stop bad trials early, and logged as
steps of ``curve.valid.<objective>`` on the trial's run (its learning curve in MLflow)."""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from typing import Any

import numpy as np

from cs_lab.eval import EvalResult, evaluate
from cs_lab.experiment.task import EvalSet, Stage
from cs_lab.experiment.metric_names import direction, parse_metric_name  # noqa: F401  (re-exported)
from cs_lab.models.base import Recommender
from cs_lab.tracking.tracker import FAILED, FINISHED, KILLED, Tracker
from cs_lab.tuning.space import SearchSpace

PRUNE_QUERIES = 2000  # validation carts scored for each intermediate value (spec: tuning.prune_queries)
PRUNE_POINTS = 5      # intermediate values per trial (evenly spaced over the model's iterations)
CURVE = "curve.valid."  # metric prefix of the intermediate values (MLflow steps = iteration index)


def iterations_of(params: dict) -> int:
    """The model's own iteration count (``iterations``, or LightFM's ``epochs``); 0 if none."""
    return int(params.get("iterations") or params.get("epochs") or 0)


def parse_metric(name: str) -> tuple[str, int]:
    """'ndcg@10' -> ('ndcg', 10); the repeat / explore part is dropped (see metric_names)."""
    m = parse_metric_name(name)
    return m.metric, m.k


def evaluate_model(model: Recommender, ev: EvalSet, ks: list[int], rows: slice | None = None,
                   ids: np.ndarray | None = None) -> EvalResult:
    """Recommend for the eval set's queries (its exclusion policy applied) and evaluate, with the
    repeat / explore split and the truth lines' values."""
    if ids is None:
        ids = recommend(model, ev, max(ks), rows)
    return ev.evaluate(ids, ks, rows, offers=model_offers(model, ev, ids, rows))


def model_offers(model: Recommender, ev: EvalSet, ids: np.ndarray, rows: slice | None = None):
    """The bundle each row of ``ids`` offers, for models with an ``offers(queries, ids, exclude=)``
    method (the bundle model); None for the others (the bundle metrics are then absent)."""
    offers = getattr(model, "offers", None)
    if offers is None:
        return None
    exclude = ev.exclude if ev.exclude is None or rows is None else ev.exclude[rows]
    return offers(ev.queries if rows is None else ev.queries[rows], ids, exclude=exclude)


def recommend(model: Recommender, ev: EvalSet, k: int, rows: slice | None = None) -> np.ndarray:
    queries = ev.queries if rows is None else ev.queries[rows]
    exclude = ev.exclude if ev.exclude is None or rows is None else ev.exclude[rows]
    ids, _ = model.recommend(queries, k, exclude=exclude)
    return ids


def metric_value(result: EvalResult, name: str) -> float:
    return float(result.value(str(parse_metric_name(name))))


@dataclass
class Objective:
    """Callable for study.optimize. One nested MLflow run per trial under ``parent_run``."""

    base_params: dict[str, Any]
    space: SearchSpace
    stage: Stage
    objectives: list[str]
    ks: list[int]
    tracker: Tracker
    parent_run: str
    prune: bool = True
    prune_queries: int | None = PRUNE_QUERIES   # None = every validation cart
    # called with (params, fitted model) after each completed fit: the runner keeps the models in
    # its cache, so refitting the chosen trial on the same data is a cache hit
    on_fitted: Callable[[dict, Recommender], None] | None = None
    # with pruning off, ``cached(params)`` (a context manager) yields the fit of these parameters on
    # this split when one is cached, else None, holding the key's lock meanwhile: the standard and
    # explore specs try the same search points, so a trial already fitted by the other loads it
    # (a pruned trial's outcome would depend on the objective, so with pruning on it is never reused)
    cached: Callable[[dict], AbstractContextManager[Recommender | None]] | None = None
    label: str = ""          # the model's name in the spec: trial runs are named "<label>/trial-N"

    def __call__(self, trial) -> float | tuple[float, ...]:
        import optuna

        params = {**self.base_params, **self.space.suggest(trial)}
        name = f"{self.label}/trial-{trial.number}" if self.label else f"trial-{trial.number}"
        run = self.tracker.start_run(name, parent_id=self.parent_run,
                                     tags={"optuna.trial": str(trial.number)})
        status = FAILED
        try:
            self.tracker.log_params(run, params)
            t0 = time.perf_counter()
            callback = None
            with (self.cached(params) if self.cached is not None and not self.prune else nullcontext()) as model:
                if model is None:
                    model = Recommender.from_params(params)
                    # intermediate values are the pruner's input: with pruning off none are computed
                    callback = (self._pruning_callback(trial, params, run)
                                if self.prune and len(self.objectives) == 1 else None)
                    model.fit(self.stage.train, on_iteration=callback)
                    if self.on_fitted is not None:
                        self.on_fitted(params, model)
                else:
                    self.tracker.set_tags(run, {"cs_lab.fit": "reused: the cached fit of these parameters on "
                                                              "this split"})
            fit_s = time.perf_counter() - t0
            result = evaluate_model(model, self.stage.eval, self.ks)
            values = tuple(metric_value(result, o) for o in self.objectives)
            if callback is not None and callback.last_step is not None:
                self._report(trial, run, values[0], callback.last_step)   # the last step, scored once
            for o, v in zip(self.objectives, values):
                trial.set_user_attr(o, v)
            self.tracker.log_metrics(run, {**{f"valid.{o}": v for o, v in zip(self.objectives, values)},
                                           "fit_seconds": fit_s})
            self.tracker.set_tags(run, {"optuna.state": "COMPLETE"})
            status = FINISHED
            return values[0] if len(values) == 1 else values
        except optuna.TrialPruned:
            self._log_pruned(trial, run)
            status = FINISHED
            raise
        except KeyboardInterrupt:  # Ctrl-C, or SIGTERM (cs_lab.cli): the trial's run ends KILLED
            status = KILLED
            raise
        finally:
            self.tracker.end_run(run, status)

    def _log_pruned(self, trial, run: str) -> None:
        """A pruned trial's run: state PRUNED and, like Optuna's own value of a pruned trial, its last
        intermediate value as ``valid.<objective>`` (a partial fit scored on the pruning carts only:
        the tag says at which step)."""
        tags = {"optuna.state": "PRUNED"}
        values = getattr(trial, "intermediate_values", None) or {}
        if values:
            step = max(values)
            self.tracker.log_metrics(run, {f"valid.{self.objectives[0]}": values[step], "pruned_at_step": step})
            tags["optuna.value"] = f"last intermediate value (step {step}, pruning carts only)"
        self.tracker.set_tags(run, tags)

    def _pruning_callback(self, trial, params: dict | None = None, run: str | None = None):
        """Intermediate values (pruning on only; ``__call__`` makes no hook without it): reported to
        the trial, which the pruner may stop, and logged on ``run`` as steps of the learning curve."""
        import optuna

        objective = self.objectives[0]
        n_eval = len(self.stage.eval)
        rows = slice(0, n_eval if self.prune_queries is None else min(self.prune_queries, n_eval))
        # scoring the pruning carts costs about as much as an iteration of a large catalogue, so
        # intermediate values are taken at PRUNE_POINTS evenly spaced iterations, not at every one
        total = iterations_of(params or {})
        every = max(1, total // PRUNE_POINTS) if total else 1
        # when the pruning carts are every validation cart, the last iteration's value is the
        # trial's own evaluation: it is reported after the fit instead of being computed twice
        last_step = total - 1 if total and rows.stop == n_eval else None

        def wants(iteration: int) -> bool:
            return (not (iteration + 1) % every or iteration + 1 == total) and iteration != last_step

        def on_iteration(iteration: int, model: Recommender) -> None:
            if not wants(iteration):
                return
            value = metric_value(evaluate_model(model, self.stage.eval, self.ks, rows), objective)
            # never at the last iteration: the fit is done, only its evaluation is left
            if self._report(trial, run, value, iteration) and iteration + 1 != total and trial.should_prune():
                raise optuna.TrialPruned(f"pruned at iteration {iteration}")

        on_iteration.wants = wants          # models copy their state out only for these iterations
        on_iteration.last_step = last_step
        return on_iteration

    def _report(self, trial, run: str | None, value: float, step: int) -> bool:
        """An intermediate value: to the trial (the pruner's input) and as a learning-curve step.
        False (nothing reported) for a value that is not finite."""
        if not np.isfinite(value):
            return False
        trial.report(value, step)
        if run is not None:
            self.tracker.log_metrics(run, {CURVE + self.objectives[0]: value}, step=step)
        return True
