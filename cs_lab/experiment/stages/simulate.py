"""Stage 8: an offline A/B test of the validation-chosen model on the latest test window."""

from __future__ import annotations

import time

import numpy as np

from cs_lab.experiment import plots
from cs_lab.experiment.stages.context import RunContext
from cs_lab.experiment.stages.evaluate import ModelScores
from cs_lab.experiment.stages.prepare import Windows
from cs_lab.simulate.stats.power import design_effect
from cs_lab.tracking.tracker import log_dataframe, markdown_table


def simulate(ctx: RunContext, windows: Windows, scores: dict[str, ModelScores], winner: str):
    from cs_lab.experiment.format import format_simulation
    from cs_lab.experiment.simulation import SimulationSpec, run_simulation
    from cs_lab.simulate import plots as sim_plots

    spec, tracker = ctx.spec, ctx.tracker
    sim_spec = SimulationSpec.parse(spec.simulation)
    task = windows.latest
    recs = {n: s.windows[-1].test_ids[0] for n, s in scores.items()}
    tactics = arm_tactics(ctx, sim_spec, scores, winner, task)
    ctx.say(f"[{spec.name}] simulating an A/B test on {task.label}: arms {sim_spec.arms} "
            f"(best = {winner}, chosen on validation)")
    t0 = time.perf_counter()
    out = run_simulation(sim_spec, task, recs, winner, spec.seed, say=ctx.say, tactics=tactics)
    res = out.result
    run = ctx.start("ab_simulation", tags={"kind": "simulation", "best": winner})
    tracker.log_params(run, {f"sim.{k}": v for k, v in res.config.model_dump(mode="json").items()})
    log_rates(tracker, run, res, out)
    tracker.log_text(run, res.to_json(), "simulation.json")
    log_dataframe(tracker, run, res.arms, "arms.csv")
    tracker.log_text(run, markdown_table(res.arms), "arms.md")
    log_dataframe(tracker, run, res.lift, "lift.csv")
    if out.sweep is not None and len(out.sweep):
        log_dataframe(tracker, run, out.sweep, "discount_response_sweep.csv")
        tracker.log_text(run, markdown_table(out.sweep), "discount_response_sweep.md")
    tracker.log_text(run, markdown_table(res.headline()), "lift.md")
    for rec in res.arms.to_dict(orient="records"):
        tracker.log_metrics(run, {f"{rec['arm']}.{k}": v for k, v in rec.items()
                                  if k not in ("arm",) and isinstance(v, (int, float))})
    for metric in ("conversion", "order_value", "revenue_per_session", "net_margin"):
        if (res.lift["metric"] == metric).any():
            fig = sim_plots.plot_lift(res, metric, relative=metric != "net_margin")
            tracker.log_figure(run, fig, f"plots/lift_{metric}.png")
            plots.close(fig)
    control = res.arms.set_index("arm").loc["control"]
    observed = {r["arm"]: r["rel_lift"] for r in res.headline().to_dict(orient="records")
                if r["metric"] == "conversion" and np.isfinite(r["rel_lift"])}
    deff = (1.0, 1.0, 0.0)
    if res.config.assignment == "customer":
        per = res.per_session
        ctrl = per[per["arm"] == "control"]
        if len(ctrl) > 2:
            cust = ctrl["customer_id"]
            unit = ("c:" + cust.astype("string")).fillna("q:" + ctrl["query_id"].astype("string"))
            unit = unit.to_numpy(dtype=object)
            deff = design_effect(ctrl["converted"].to_numpy(dtype=float), unit)
    tracker.log_metrics(run, {"power.design_effect": deff[0], "power.mean_sessions_per_customer": deff[1],
                              "power.icc_conversion": deff[2]})
    if 0 < control["conversion"] < 1:
        fig = sim_plots.plot_power_curve(p_control=float(control["conversion"]), alpha=res.config.alpha,
                                         observed=observed or None, design_effect=deff[0])
        tracker.log_figure(run, fig, "plots/power_curve.png")
        plots.close(fig)
    ctx.end(run)
    unit = (f"customer-level randomisation: design effect {deff[0]:.2f} (m̄ {deff[1]:.2f} sessions per customer, "
            f"ICC of conversion {deff[2]:.3f})" if res.config.assignment == "customer" else "session-level randomisation")
    ctx.say(f"    {len(res.per_session):,} sessions simulated in {time.perf_counter() - t0:.1f}s; {unit}")
    ctx.say(format_simulation(res))
    return out


def arm_tactics(ctx: RunContext, sim_spec, scores: dict[str, ModelScores], winner: str, task) -> dict[str, dict]:
    """Threshold / discount terms of the simulated arms, read from their fitted models (the cached fit
    of the final training period, seed 0: the one whose recommendations are simulated)."""
    from cs_lab.experiment.simulation import model_tactics, resolve_arms
    from cs_lab.experiment.stages.fit import fit

    out = {}
    for name in resolve_arms(sim_spec, list(scores), winner):
        if name == "control":
            continue
        s = scores[name]
        model = fit(ctx, name, s.params, task.final.train, task.split.fingerprint).model
        ev = task.final.eval
        t = model_tactics(model, s.windows[-1].test_ids[0], ev.queries, ev.exclude)
        if t:
            out[name] = t
    return out


def log_rates(tracker, run: str, res, out) -> None:
    """The rates, their sources and intervals (params + metrics + rates.csv/json), the organic model's
    calibration (Brier, reliability plot), and the parameter-bootstrap tables."""
    import json

    from cs_lab.simulate.organic import plot_reliability

    if res.rates is not None and len(res.rates.sources):
        src = res.rates.sources
        log_dataframe(tracker, run, src, "rates.csv")
        tracker.log_text(run, json.dumps({"rates": src.to_dict(orient="records"), "organic": out.calibration,
                                          "organic_source": res.organic_source}, indent=2, default=str),
                         "rates.json")
        tracker.log_params(run, {f"rate.{r.name}.source": r.source[:480] for r in src.itertuples()})
        tracker.log_params(run, {f"rate.{r.name}.assumption": bool(r.assumption) for r in src.itertuples()})
        tracker.log_metrics(run, {f"rate.{r.name}.{k}": float(getattr(r, k)) for r in src.itertuples()
                                  for k in ("value", "ci_low", "ci_high") if np.isfinite(getattr(r, k))})
    tracker.log_params(run, {"rate.organic.source": res.organic_source[:480]})
    org = out.calibration.get("organic", {})
    tracker.log_metrics(run, {f"organic.{k}": float(v) for k, v in org.items()
                              if isinstance(v, (int, float)) and v is not None and np.isfinite(v)})
    if out.organic_check is not None:
        fig = plot_reliability(out.organic_check)
        tracker.log_figure(run, fig, "plots/organic_reliability.png")
        plots.close(fig)
        log_dataframe(tracker, run, out.organic_check["reliability"], "organic_reliability.csv")
    d = res.draws
    if d is not None:
        log_dataframe(tracker, run, d.arms, "draws_arms.csv")
        log_dataframe(tracker, run, d.pairs, "draws_pairs.csv")
        log_dataframe(tracker, run, d.ranking.astype({"p_best": str}), "draws_ranking.csv")
        tracker.log_metrics(run, {f"pbeats.{r.metric}.{r.arm_b}_vs_{r.arm_a}": r.p_b_beats_a for r in d.pairs.itertuples()})
        tracker.log_metrics(run, {f"draws.{r.metric}.{r.arm}.{k}": getattr(r, k) for r in d.arms.itertuples()
                                  for k in ("value", "ci_low", "ci_high") if np.isfinite(getattr(r, k))})
        tracker.log_metrics(run, {f"ranking.{r.metric}.changes": r.ranking_changes for r in d.ranking.itertuples()})
