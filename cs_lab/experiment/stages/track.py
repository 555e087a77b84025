"""Stage 9: results -> MLflow, in the layout users know: a parent run per model (its trials nested
under it), a `comparison` run (spec, leaderboard, decision family, secondary metrics, segments,
plots) and an `ab_simulation` run (logged by the simulate stage)."""

from __future__ import annotations

import hashlib
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from cs_lab.eval.stats import segment_breakdown
from cs_lab.experiment import plots
from cs_lab.experiment.stages.compare import Comparison
from cs_lab.experiment.stages.context import RunContext
from cs_lab.experiment.stages.evaluate import ModelScores
from cs_lab.experiment.stages.prepare import Windows
from cs_lab.experiment.stages.select import Selection
from cs_lab.experiment.task import history_frame, recommendations_frame, truth_frame
from cs_lab.models.base import Recommender
from cs_lab.tracking.tracker import log_dataframe, markdown_table


def ci_metrics(ctx: RunContext, columns) -> list[str]:
    wanted = [ctx.spec.metrics.objective, *ctx.spec.comparison.metrics]
    return [c for c in dict.fromkeys(wanted) if c in columns]


def log_model(ctx: RunContext, run: str, s: ModelScores, windows: Windows) -> None:
    spec, tracker = ctx.spec, ctx.tracker
    frame, clusters = s.per_query("test")
    from cs_lab.eval.stats import bootstrap_ci

    metrics: dict[str, float] = {}
    names = s.windows[0].test[0].metric_names()
    for name in names:
        values = frame[name].to_numpy() if name in frame.columns else s.test_values(name)
        if np.isnan(values).all():      # e.g. the repeat part of the explore task: no such hidden items
            continue
        # per-query metrics: pooled over every test cart; global ones (coverage, ...): mean of the windows
        metrics[f"test.{name}"] = float(np.nanmean(values))
    boot_clusters = None if spec.comparison.resample == "baskets" else clusters
    for col in ci_metrics(ctx, frame.columns):
        iv = bootstrap_ci(frame[col].to_numpy(), n_boot=spec.comparison.bootstrap, seed=spec.seed,
                          clusters=boot_clusters)
        metrics[f"test.{col}.ci_low"], metrics[f"test.{col}.ci_high"] = iv.low, iv.high
        per_w = s.test_values(col)
        metrics[f"test.{col}.sd_windows"] = float(np.std(per_w, ddof=1)) if len(per_w) > 1 else 0.0
        for i, v in enumerate(per_w):
            metrics[f"test.w{i}.{col}"] = float(v)
        if s.seeds > 1:
            metrics[f"test.{col}.sd_seeds"] = float(np.mean(np.std(s.test_seed_values(col), axis=1, ddof=1)))
    obj = spec.metrics.objective
    vals = s.valid_values(obj)
    metrics[f"valid.{obj}"] = float(np.nanmean(vals))
    for i, v in enumerate(vals):
        metrics[f"valid.w{i}.{obj}"] = float(v)
    metrics["fit_seconds"] = float(sum(w.fit_seconds for w in s.windows))
    tracker.log_metrics(run, metrics)
    tracker.set_tags(run, {"seeds": str(s.seeds)})
    log_dataset_input(ctx, run, windows)
    log_dataframe(tracker, run, frame.assign(cluster=clusters).reset_index(), "per_query.parquet")
    ev = windows.latest.final.eval
    log_dataframe(tracker, run, recommendations_frame(s.windows[-1].test_ids[0], ev.query_ids, ev.eval_items),
                  "recommendations.parquet")


_MLFLOW_TYPES = {"i": "long", "u": "long", "f": "double", "b": "boolean", "M": "datetime"}


def log_dataset_input(ctx: RunContext, run: str, windows: Windows) -> None:
    """The run's data as an MLflow dataset (name, digest = the raw files' sha256, source, schema)."""
    from cs_lab.data.sources import data_dir

    ds = windows.latest.dataset
    schema = [{"name": str(c), "type": _MLFLOW_TYPES.get(t.kind, "string")} for c, t in ds.lines.dtypes.items()]
    digest = hashlib.sha256(ctx.base_tags.get("dataset_sha256", ds.name).encode()).hexdigest()
    ctx.tracker.log_input(run, ds.name, digest, str(data_dir() / ds.name), schema)


def log_pyfunc(ctx: RunContext, run: str, model: Recommender, params: dict | None = None,
               name: str | None = None) -> str | None:
    import logging

    from cs_lab.tracking.pyfunc import save_pyfunc

    logging.getLogger("mlflow.pyfunc").setLevel(logging.WARNING)   # "Validating input example ..."

    with tempfile.TemporaryDirectory() as d:
        path = save_pyfunc(model, Path(d) / "model")
        # an MLflow 3 logged model linked to the run (the Models column); runs:/<run>/model resolves to it
        tags = {k: ctx.base_tags[k] for k in ("spec_name", "split_fingerprint", "code_version") if k in ctx.base_tags}
        return ctx.tracker.log_model(run, path, "model", params, {**tags, "model_name": name or ""})


def stacked_segments(windows: Windows) -> pd.DataFrame:
    return pd.concat([t.final.eval.segments.set_axis(pd.Index([f"w{i}:{q}" for q in t.final.eval.segments.index],
                                                               name="query"))
                      for i, t in enumerate(windows)])


def log_comparison(ctx: RunContext, scores: dict[str, ModelScores], sel: Selection, cmp: Comparison,
                   windows: Windows, text: str) -> str:
    spec, tracker = ctx.spec, ctx.tracker
    run = ctx.start("comparison", tags={"kind": "comparison", "winner": sel.winner,
                                        "selected_on": "validation"})
    tracker.log_text(run, yaml.safe_dump(spec.model_dump(mode="json"), sort_keys=False), "spec.yaml")
    board = cmp.leaderboard
    log_dataframe(tracker, run, board, "leaderboard.csv")
    tracker.log_text(run, markdown_table(board), "leaderboard.md")
    tracker.log_text(run, text, "verdict.txt")
    log_dataframe(tracker, run, cmp.per_window.reset_index(names="model"), "per_window.csv")
    log_dataframe(tracker, run, truth_frame(windows.latest.final.eval), "truth.parquet")
    log_dataframe(tracker, run, history_frame(windows.latest.final.eval), "history.parquet")
    if cmp.family is not None:
        log_dataframe(tracker, run, cmp.family, "comparison.csv")
        tracker.log_text(run, family_markdown(cmp.family, spec.comparison.alpha, spec.comparison.bootstrap), "comparison.md")
    if cmp.secondary is not None:
        log_dataframe(tracker, run, cmp.secondary, "secondary.csv")
    if cmp.duplicates:
        tracker.log_text(run, "\n".join(f"{a} is identical to {b} for every model (listed once)"
                                        for a, b in cmp.duplicates.items()), "identical_metrics.txt")
    segs = []
    seg_frame = stacked_segments(windows)
    obj = sel.objective
    for name, s in scores.items():
        frame, _ = s.per_query("test")
        for by in seg_frame.columns:
            seg = segment_breakdown(frame[[obj]], by, metrics=[obj], segments=seg_frame, n_boot=200, seed=spec.seed)
            segs.append(seg.assign(model=name, segment_by=by).rename(columns={by: "segment"}))
    if segs:
        log_dataframe(tracker, run, pd.concat(segs, ignore_index=True), "segments.csv")
    summaries = {n: s.windows[-1].test[0].summary for n, s in scores.items()}
    fig = plots.metrics_vs_k(summaries, title=f"{spec.name}: test metrics vs K (latest window)")
    tracker.log_figure(run, fig, "plots/metrics_vs_k.png")
    plots.close(fig)
    fig = plots.windows_plot(cmp.per_window, obj, sel.winner, title=f"{spec.name}: {obj} per test window")
    tracker.log_figure(run, fig, "plots/per_window.png")
    plots.close(fig)
    metrics = {f"{n}.{obj}": float(board.set_index("model").loc[n, obj]) for n in scores}
    metrics.update({f"{n}.valid.{obj}": v for n, v in sel.valid.items()})
    tracker.log_metrics(run, metrics)
    tracker.set_description(run, comparison_markdown(spec.name, sel, board, text))
    winner_run = scores[sel.winner].run_id if sel.winner in scores else None
    if winner_run:
        tracker.set_tags(winner_run, {"winner": "true"})
    ctx.end(run)
    return run


DESCRIPTION_LIMIT = 8000   # MLflow truncates a tag value (the run description) beyond this


def comparison_markdown(name: str, sel: Selection, board: pd.DataFrame, verdict: str) -> str:
    """The comparison run's description: the winner, the leaderboard, the verdict (rendered by MLflow).
    Kept under MLflow's tag limit: the full leaderboard if it fits, else its first columns; the verdict
    (the last section of the console text) if it fits; leaderboard.md holds everything."""
    head = f"### {name}: `{sel.winner}` wins on validation {sel.objective}\n\n"
    for cols in (list(board.columns), list(board.columns[:6]), list(board.columns[:3])):
        table = markdown_table(board[cols])
        if len(head) + len(table) < DESCRIPTION_LIMIT - 200:
            break
    text = head + table + "\n"
    if not verdict:
        return text
    short = verdict[verdict.rfind("Verdict"):] if "Verdict" in verdict else verdict
    for body in (verdict, short):
        block = f"\n<details><summary>Verdict</summary>\n\n```\n{body}\n```\n</details>\n"
        if len(text) + len(block) < DESCRIPTION_LIMIT:
            return text + block
    return text + "\n(full leaderboard and verdict: leaderboard.md, verdict.txt)\n"


def family_markdown(family: pd.DataFrame, alpha: float, n_boot: int | None = None) -> str:
    """The decision family as Markdown: each decision next to the simultaneous interval that made it."""
    from cs_lab.experiment.format import fmt_p

    level = f"{1 - alpha:.0%}"
    shown = pd.DataFrame({
        "model": family["model_a"], "vs baseline": family["model_b"], "metric": family["metric"],
        "n": family["n"], "diff": family["diff"].map(lambda v: f"{v:+.4f}"),
        f"simultaneous {level} CI": [f"[{lo:+.4f}, {hi:+.4f}]" for lo, hi in zip(family["ci_low"], family["ci_high"])],
        "adjusted p": family["p_adj"].map(lambda v: fmt_p(v, n_boot)), "decision": family["decision"]})
    return (f"Decision family: {len(family)} comparisons; max-T simultaneous intervals; a decision is "
            "exactly 'the interval excludes 0'.\n\n" + markdown_table(shown))
