"""The experiment runner: spec -> data -> split -> per model (tune -> refit -> test) -> compare ->
track -> summary. Only this module (and the CLI) touches process-wide state: the MLflow tracker
it creates, Optuna's logging, signal handling."""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import subprocess
import sys
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from cs_lab.eval import EvalResult
from cs_lab.eval.stats import bootstrap_ci, compare_models, render_comparison, segment_breakdown
from cs_lab.experiment import plots
from cs_lab.experiment.objective import Objective, direction, parse_metric
from cs_lab.experiment.spec import ExperimentSpec, ModelSpec
from cs_lab.experiment.study import best_params, done_trials, fail_stale_trials, open_study, storage_for
from cs_lab.experiment.task import PreparedTask, prepare_task, recommendations_frame, truth_frame
from cs_lab.models import registry
from cs_lab.models.base import Recommender
from cs_lab.tracking.tracker import FINISHED, KILLED, FAILED, Tracker, log_dataframe, markdown_table

log = logging.getLogger(__name__)
LEADERBOARD_METRICS = ("ndcg", "hit_rate", "recall", "precision", "mrr", "revenue", "coverage", "novelty")


@dataclass
class RunOptions:
    run_dir: Path
    trials: int | None = None          # overrides the spec's budgets
    resume: bool = True                # continue a killed run's study (trials already done are kept)
    storage: str | None = None         # shared Optuna storage URL
    progress: bool = True
    log_models: bool = True            # log a pyfunc model per model kind
    sampler_seed_offset: int = 0       # tuning workers sharing a study draw different proposals


@dataclass
class ModelOutcome:
    name: str
    params: dict[str, Any]
    result: EvalResult
    run_id: str
    tuned_trials: int = 0
    fit_seconds: float = 0.0
    cached: bool = False
    ids: np.ndarray | None = None       # test recommendations (n_queries, max K), training vocabulary


@dataclass
class ExperimentResult:
    spec: ExperimentSpec
    task: PreparedTask
    outcomes: dict[str, ModelOutcome] = field(default_factory=dict)
    leaderboard: pd.DataFrame | None = None
    comparison: pd.DataFrame | None = None
    summary_run: str | None = None
    simulation: Any = None


def git_commit() -> str:
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, timeout=5,
                             cwd=Path(__file__).resolve().parent)
        return out.stdout.strip() or "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def _hash(obj: Any) -> str:
    return hashlib.sha256(json.dumps(obj, sort_keys=True, default=str).encode()).hexdigest()[:12]


class ExperimentRunner:
    def __init__(self, spec: ExperimentSpec, tracker: Tracker, options: RunOptions) -> None:
        self.spec, self.tracker, self.opt = spec, tracker, options
        self._open_runs: list[str] = []
        self.trials_run: dict[str, list[int]] = {}   # model -> trial numbers this process ran

    # -- public -------------------------------------------------------------
    def run(self) -> ExperimentResult:
        spec = self.spec
        task = self._prepare()
        result = ExperimentResult(spec, task)
        with self._closing_runs():
            for i, m in enumerate(spec.models, 1):
                self._say(f"[{spec.name}] model {i}/{len(spec.models)}: {m.name}")
                result.outcomes[m.name] = self._run_model(m, task)
            self._summarise(result)
            if spec.simulation is not None:
                self._simulate(result)
        return result

    def tune(self, models: list[str] | None = None) -> dict[str, list[int]]:
        """Only the tuning stage, for every tunable model (or those named). Several processes
        started on the same spec with a shared ``storage`` join the same studies."""
        spec = self.spec
        unknown = set(models or ()) - {m.name for m in spec.models}
        if unknown:
            from cs_lab.errors import ConfigError
            raise ConfigError(f"--model {sorted(unknown)}: not models of {spec.name} ({[m.name for m in spec.models]})")
        task = self._prepare()
        with self._closing_runs():
            for m in spec.models:
                space = spec.search_space(m)
                if (models is not None and m.name not in models) or not len(space):
                    continue
                base = registry.build(m.config, where=f"models[{m.name}].config").get_params()
                run = self._start(f"{m.name} (tuning worker)", tags={"model": base["model"], "model_name": m.name,
                                                                      "kind": "tuning_worker"})
                self._say(f"[{spec.name}] tuning {m.name}")
                self._tune(m, base, space, self._budget(m), task, run)
                self._end(run)
        return self.trials_run

    # -- shared plumbing --------------------------------------------------------
    def _prepare(self) -> PreparedTask:
        """Quiet Optuna, make the run folder, prepare data/splits/holdouts, set the run tags."""
        import optuna

        optuna.logging.set_verbosity(optuna.logging.WARNING)
        spec = self.spec
        self.opt.run_dir.mkdir(parents=True, exist_ok=True)
        self._say(f"[{spec.name}] preparing {spec.dataset} (split, validation split, holdouts) ...")
        t0 = time.perf_counter()
        task = prepare_task(spec)
        self._say(f"[{spec.name}] {task.final.train.n_baskets:,} training baskets, "
                  f"{len(task.final.eval):,} test carts, {len(task.tuning.eval):,} validation carts "
                  f"({time.perf_counter() - t0:.1f}s)")
        self.base_tags = {**task.tags(), "git_commit": git_commit(), "spec_hash": spec.spec_hash,
                          "spec_name": spec.name}
        return task

    @contextlib.contextmanager
    def _closing_runs(self):
        """Runs still open when work stops are ended KILLED (Ctrl-C) or FAILED, never left RUNNING."""
        try:
            yield
        except BaseException as exc:
            status = KILLED if isinstance(exc, KeyboardInterrupt) else FAILED
            for run in reversed(self._open_runs):
                self.tracker.end_run(run, status)
            self._open_runs.clear()
            raise

    def _budget(self, m: ModelSpec) -> int:
        """Trials for a model: --trials, else the model's own budget, else the spec's."""
        if self.opt.trials is not None:
            return self.opt.trials
        return m.trials if m.trials is not None else self.spec.tuning.trials

    # -- one model ----------------------------------------------------------
    def _start(self, name: str, parent: str | None = None, tags: dict | None = None) -> str:
        run = self.tracker.start_run(name, parent_id=parent, tags={**self.base_tags, **(tags or {})})
        self._open_runs.append(run)
        return run

    def _end(self, run: str, status: str = FINISHED) -> None:
        self.tracker.end_run(run, status)
        self._open_runs.remove(run)

    def _run_model(self, m: ModelSpec, task: PreparedTask) -> ModelOutcome:
        spec, opt = self.spec, self.opt
        base = registry.build(m.config, where=f"models[{m.name}].config").get_params()
        space = spec.search_space(m)
        trials = self._budget(m) if len(space) else 0
        run = self._start(m.name, tags={"model": base["model"], "model_name": m.name})
        self.tracker.log_params(run, {**{f"base.{k}": v for k, v in base.items()}, "tuning.trials": trials,
                                      "tuning.objectives": ",".join(self._objectives())})
        params, n_done = dict(base), 0
        if trials:
            params, n_done = self._tune(m, base, space, trials, task, run)
        self.tracker.log_params(run, params)
        model, fit_s, cached = self._fit_final(m.name, params, task)
        t0 = time.perf_counter()
        result, ids = self._cached_eval(m.name, params, model, task)
        self._say("    test: " + "  ".join(f"{k}={v:.4f}" for k, v in self._headline(result).items())
                  + f"  (fit {fit_s:.1f}s{' cached' if cached else ''}, eval {time.perf_counter() - t0:.1f}s)")
        self._log_test(run, m.name, result)
        ev = task.final.eval
        log_dataframe(self.tracker, run, recommendations_frame(ids, ev.segments.index.to_numpy(), ev.eval_items),
                      "recommendations.parquet")
        if opt.log_models:
            self._log_pyfunc(run, model)
        self._end(run)
        return ModelOutcome(m.name, params, result, run, n_done, fit_s, cached, ids)

    def _objectives(self) -> list[str]:
        return self.spec.tuning.objectives or [self.spec.metrics.objective]

    def _tune(self, m: ModelSpec, base: dict, space, trials: int, task: PreparedTask, run: str):
        import optuna

        spec, opt = self.spec, self.opt
        objectives = self._objectives()
        for o in objectives:
            _, k = parse_metric(o)
            if k not in spec.metrics.ks:
                spec.metrics.ks.append(k)
                spec.metrics.ks.sort()
        key = _hash({"model": m.model_dump(), "tuning": spec.tuning.model_dump(exclude={"trials", "storage"}),
                     "objectives": objectives, "validation": task.inner.fingerprint,
                     "holdout": task.tuning.eval.holdout.fingerprint})
        study = open_study(f"{spec.name}.{m.name}.{key}", storage_for(opt.run_dir, opt.storage or spec.tuning.storage),
                           [direction(o) for o in objectives], spec.tuning.seed + opt.sampler_seed_offset,
                           spec.tuning.pruning)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            study.set_metric_names(objectives)
        # a trial left RUNNING in the run folder's own journal was killed with its process; in a
        # shared storage it may belong to a live worker, so it is left alone there
        shared = (opt.storage or spec.tuning.storage) is not None
        stale = fail_stale_trials(study) if opt.resume and not shared else 0
        before = done_trials(study)
        remaining = max(0, trials - before)
        self._say(f"    tuning: {before} trial(s) already done{f', {stale} stale marked failed' if stale else ''}, "
                  f"{remaining} to run")
        if remaining:
            objective = Objective(base, space, task.tuning, objectives, spec.metrics.ks, self.tracker, run,
                                  prune=spec.tuning.pruning)
            # several workers may share the study (--storage): stop when it holds `trials` finished trials
            stop = optuna.study.MaxTrialsCallback(trials, states=(optuna.trial.TrialState.COMPLETE,
                                                                  optuna.trial.TrialState.PRUNED))
            ran = self.trials_run.setdefault(m.name, [])
            study.optimize(objective, n_trials=remaining, timeout=spec.tuning.timeout_s,
                           callbacks=[stop, lambda st, t: ran.append(t.number)],
                           show_progress_bar=self.opt.progress and sys.stderr.isatty(), gc_after_trial=True)
        params = {**base, **best_params(study)}
        self.tracker.log_metrics(run, {f"best_valid.{o}": v for o, v in zip(
            objectives, study.best_trials[0].values if len(objectives) > 1 else [study.best_value])})
        self._log_study_plots(run, study, m.name)
        return params, done_trials(study)

    def _log_study_plots(self, run: str, study, name: str) -> None:
        figs = {"plots/optimisation_history.png": plots.optimisation_history(study, f"{name}: optimisation history"),
                "plots/param_importances.png": plots.param_importances(study, f"{name}: parameter importances")}
        if len(study.directions) > 1:
            figs["plots/pareto_front.png"] = plots.pareto_front(study, f"{name}: Pareto front")
            front = pd.DataFrame([{"trial": t.number, **dict(zip(study.metric_names, t.values)), **t.params}
                                  for t in study.best_trials])
            log_dataframe(self.tracker, run, front, "pareto_front.csv")
        for path, fig in figs.items():
            if fig is not None:
                self.tracker.log_figure(run, fig, path)
                plots.close(fig)
        value_attr = "value" if len(study.directions) == 1 else "values"
        trials = study.trials_dataframe(attrs=("number", value_attr, "state", "params", "duration")) \
            if study.trials else pd.DataFrame()
        if len(trials):
            trials = trials.astype({c: str for c in trials.columns if trials[c].dtype == object})
            for c in trials.columns:
                if str(trials[c].dtype).startswith("timedelta"):
                    trials[c] = trials[c].dt.total_seconds()
            log_dataframe(self.tracker, run, trials, "trials.csv")

    def _model_dir(self, name: str, params: dict, task: PreparedTask) -> Path:
        key = _hash({"params": params, "split": task.split.fingerprint})
        return self.opt.run_dir / "models" / f"{name}-{key}"

    def _fit_final(self, name: str, params: dict, task: PreparedTask) -> tuple[Recommender, float, bool]:
        d = self._model_dir(name, params, task)
        if (d / "config.json").is_file():
            try:
                return Recommender.load(d), 0.0, True
            except Exception as exc:  # a cache entry from an older version: refit
                log.warning("cannot load cached model %s (%s); refitting", d, exc)
        model = Recommender.from_params(params)
        t0 = time.perf_counter()
        model.fit(task.final.train)
        fit_s = time.perf_counter() - t0
        import shutil

        tmp = d.with_name(d.name + ".tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        model.save(tmp)
        shutil.rmtree(d, ignore_errors=True)
        tmp.rename(d)
        return model, fit_s, False

    def _cached_eval(self, name: str, params: dict, model: Recommender, task: PreparedTask
                     ) -> tuple[EvalResult, np.ndarray]:
        """Test evaluation, cached beside the fitted model (keyed by holdout and cut-offs)."""
        from cs_lab.eval import evaluate

        ev = task.final.eval
        d = self._model_dir(name, params, task)
        key = _hash({"holdout": ev.holdout.fingerprint, "ks": self.spec.metrics.ks})
        path = d / f"recs-{key}.npy"
        if path.is_file():
            ids = np.load(path)
        else:
            ids, _ = model.recommend(ev.queries, max(self.spec.metrics.ks))
            tmp = path.with_suffix(".tmp.npy")
            np.save(tmp, ids)
            tmp.replace(path)
        return evaluate(ids, ev.truth, ks=self.spec.metrics.ks, catalog=ev.catalog,
                        query_ids=ev.segments.index.to_numpy()), ids

    def _headline(self, result: EvalResult) -> dict[str, float]:
        obj, k = parse_metric(self.spec.metrics.objective)
        out = {f"{obj}@{k}": result.summary[obj][k]}
        for metric in ("hit_rate", "revenue"):
            if metric in result.summary and k in result.summary[metric]:
                out[f"{metric}@{k}"] = result.summary[metric][k]
        return out

    def _log_test(self, run: str, name: str, result: EvalResult) -> None:
        metrics = {f"test.{m}@{k}": v for m, per_k in result.summary.items() for k, v in per_k.items()}
        for col in self._ci_columns(result):
            iv = bootstrap_ci(result.per_query[col].to_numpy(), n_boot=self.spec.comparison.bootstrap,
                              seed=self.spec.seed)
            metrics[f"test.{col}.ci_low"], metrics[f"test.{col}.ci_high"] = iv.low, iv.high
        self.tracker.log_metrics(run, metrics)
        log_dataframe(self.tracker, run, result.per_query.reset_index(), "per_query.parquet")

    def _ci_columns(self, result: EvalResult) -> list[str]:
        return [c for c in self.spec.comparison.metrics if c in result.per_query.columns]

    def _log_pyfunc(self, run: str, model: Recommender) -> None:
        import tempfile

        from cs_lab.tracking.pyfunc import save_pyfunc

        with tempfile.TemporaryDirectory() as d:
            path = save_pyfunc(model, Path(d) / "model")
            self.tracker.log_artifact(run, path, "model")

    # -- comparison ----------------------------------------------------------
    def _summarise(self, result: ExperimentResult) -> None:
        spec = self.spec
        outcomes = result.outcomes
        rows = []
        for name, o in outcomes.items():
            row: dict[str, Any] = {"model": name, "kind": o.params["model"]}
            for col in self._ci_columns(o.result):
                iv = bootstrap_ci(o.result.per_query[col].to_numpy(), n_boot=spec.comparison.bootstrap, seed=spec.seed)
                row[col] = iv.estimate
                row[f"{col} 95% CI"] = f"[{iv.low:.4f}, {iv.high:.4f}]"
            for metric in LEADERBOARD_METRICS:
                for k in spec.metrics.ks:
                    col = f"{metric}@{k}"
                    if col not in row and metric in o.result.summary and k in o.result.summary[metric]:
                        row[col] = o.result.summary[metric][k]
            row["trials"] = o.tuned_trials
            rows.append(row)
        obj = spec.metrics.objective
        board = pd.DataFrame(rows).sort_values(obj if obj in rows[0] else "model", ascending=False).reset_index(drop=True)
        result.leaderboard = board
        run = self._start("comparison", tags={"kind": "comparison"})
        result.summary_run = run
        self.tracker.log_text(run, yaml.safe_dump(spec.model_dump(mode="json"), sort_keys=False), "spec.yaml")
        log_dataframe(self.tracker, run, board, "leaderboard.csv")
        log_dataframe(self.tracker, run, truth_frame(result.task.final.eval), "truth.parquet")
        self.tracker.log_text(run, markdown_table(board), "leaderboard.md")
        if len(outcomes) >= 2:
            per_query = {n: o.result.per_query for n, o in outcomes.items()}
            baseline = spec.comparison.baseline if spec.comparison.baseline in outcomes else None
            cmp = compare_models(per_query, metrics=[m for m in spec.comparison.metrics
                                                     if all(m in f.columns for f in per_query.values())],
                                 baseline=baseline, pairwise=True, alpha=spec.comparison.alpha,
                                 n_boot=spec.comparison.bootstrap, seed=spec.seed)
            result.comparison = cmp
            log_dataframe(self.tracker, run, cmp, "comparison.csv")
            self.tracker.log_text(run, render_comparison(cmp), "comparison.md")
            segs = []
            ev = result.task.final.eval
            for name, o in outcomes.items():
                for by in ev.segments.columns:
                    seg = segment_breakdown(o.result.per_query, by, metrics=[obj], segments=ev.segments,
                                            n_boot=200, seed=spec.seed)
                    segs.append(seg.assign(model=name, segment_by=by).rename(columns={by: "segment"}))
            if segs:
                log_dataframe(self.tracker, run, pd.concat(segs, ignore_index=True), "segments.csv")
        fig = plots.metrics_vs_k({n: o.result.summary for n, o in outcomes.items()},
                                 title=f"{spec.name}: test metrics vs K")
        self.tracker.log_figure(run, fig, "plots/metrics_vs_k.png")
        plots.close(fig)
        for name, o in outcomes.items():
            self.tracker.log_metrics(run, {f"{name}.{obj}": o.result.summary[parse_metric(obj)[0]][parse_metric(obj)[1]]})
        self._end(run)
        self._say("\n" + format_leaderboard(board, spec))
        if result.comparison is not None:
            sig = result.comparison[result.comparison["model_b"] == (spec.comparison.baseline or "")]
            if len(sig):
                self._say("\nvs baseline " + str(spec.comparison.baseline) + " (paired bootstrap 95% CI, Holm-adjusted p):")
                self._say(render_comparison(sig, fmt="text"))

    def _simulate(self, result: ExperimentResult) -> None:
        from cs_lab.experiment.simulation import SimulationSpec, run_simulation
        from cs_lab.simulate import plots as sim_plots

        spec = self.spec
        sim_spec = SimulationSpec.parse(spec.simulation)
        best = str(result.leaderboard.iloc[0]["model"])
        recs = {n: o.ids for n, o in result.outcomes.items()}
        self._say(f"[{spec.name}] simulating an A/B test: arms {sim_spec.arms} (best = {best})")
        t0 = time.perf_counter()
        out = run_simulation(sim_spec, result.task, recs, best, spec.seed)
        result.simulation = out
        res = out.result
        run = self._start("ab_simulation", tags={"kind": "simulation"})
        self.tracker.log_params(run, {f"sim.{k}": v for k, v in res.config.model_dump(mode="json").items()})
        self.tracker.log_text(run, res.to_json(), "simulation.json")
        log_dataframe(self.tracker, run, res.arms, "arms.csv")
        self.tracker.log_text(run, markdown_table(res.arms), "arms.md")
        log_dataframe(self.tracker, run, res.lift, "lift.csv")
        self.tracker.log_text(run, markdown_table(res.headline()), "lift.md")
        for rec in res.arms.to_dict(orient="records"):
            self.tracker.log_metrics(run, {f"{rec['arm']}.{k}": v for k, v in rec.items()
                                           if k not in ("arm",) and isinstance(v, (int, float))})
        for metric in ("conversion", "order_value", "revenue_per_session"):
            if (res.lift["metric"] == metric).any():
                fig = sim_plots.plot_lift(res, metric)
                self.tracker.log_figure(run, fig, f"plots/lift_{metric}.png")
                plots.close(fig)
        control = res.arms.set_index("arm").loc["control"]
        observed = {r["arm"]: r["rel_lift"] for r in res.headline().to_dict(orient="records")
                    if r["metric"] == "conversion" and np.isfinite(r["rel_lift"])}
        if 0 < control["conversion"] < 1:
            fig = sim_plots.plot_power_curve(p_control=float(control["conversion"]), alpha=res.config.alpha,
                                             observed=observed or None)
            self.tracker.log_figure(run, fig, "plots/power_curve.png")
            plots.close(fig)
        self._end(run)
        self._say(f"    {len(res.per_session):,} sessions simulated in {time.perf_counter() - t0:.1f}s "
                  f"(organic rate {res.config.organic_rate:.3f}, take rate {res.config.take_rate:.3f})")
        self._say(format_simulation(res))

    def _say(self, msg: str) -> None:
        if self.opt.progress:
            print(msg, file=sys.stderr, flush=True)


def format_leaderboard(board: pd.DataFrame, spec: ExperimentSpec) -> str:
    cols = ["model"] + [c for c in board.columns if c in spec.comparison.metrics or c.endswith("95% CI")] + ["trials"]
    cols = list(dict.fromkeys(c for c in cols if c in board.columns))
    shown = board[cols]
    widths = {c: max(len(c), *(len(_fmt(v)) for v in shown[c])) for c in cols}
    lines = [f"Leaderboard: {spec.name} ({spec.dataset}, test period)",
             "  ".join(c.ljust(widths[c]) for c in cols)]
    for rec in shown.itertuples(index=False):
        lines.append("  ".join(_fmt(v).ljust(widths[c]) for c, v in zip(cols, rec)))
    return "\n".join(lines)


def _fmt(v) -> str:
    if isinstance(v, float):
        return "" if np.isnan(v) else f"{v:.4f}"
    return str(v)


def format_simulation(res) -> str:
    arms = res.arms
    cols = [c for c in ("arm", "n", "conversion", "offer_conversion", "revenue_per_session", "order_value")
            if c in arms.columns]
    lines = ["Simulated A/B test (per arm):", "  ".join(f"{c:>20}" for c in cols)]
    for rec in arms[cols].itertuples(index=False):
        lines.append("  ".join(f"{_fmt(v):>20}" for v in rec))
    head = res.headline()
    if len(head):
        lines.append("A/B lift vs control (" + str(head["method"].iloc[0]) + f", {1 - res.config.alpha:.0%} CI):")
        lines += [_lift_line(r) for r in head.itertuples(index=False)]
    cf = getattr(res, "counterfactual", None)
    if cf is not None and len(cf):
        lines.append("Paired counterfactual (every session under every arm; no assignment noise):")
        lines += [_lift_line(r) for r in cf.itertuples(index=False) if r.arm != r.control]
    return "\n".join(lines)


def _lift_line(r) -> str:
    if np.isfinite(r.rel_lift):
        est = f"{r.rel_lift:+.2%}  [{r.rel_ci_low:+.2%}, {r.rel_ci_high:+.2%}]"
    else:  # the control's mean is 0 (e.g. offer conversion): absolute lift
        est = f"{r.abs_lift:+.4f} abs [{r.abs_ci_low:+.4f}, {r.abs_ci_high:+.4f}]"
    return f"  {r.arm:<16} {r.metric:<20} {est}  p={r.p_value:.4g}"
