"""Stage 8: an offline A/B test of the validation-chosen model on the latest test window."""

from __future__ import annotations

import time

import numpy as np

from cs_lab.experiment import plots
from cs_lab.experiment.stages.context import RunContext
from cs_lab.experiment.stages.evaluate import ModelScores
from cs_lab.experiment.stages.prepare import Windows
from cs_lab.tracking.tracker import log_dataframe, markdown_table


def simulate(ctx: RunContext, windows: Windows, scores: dict[str, ModelScores], winner: str):
    from cs_lab.experiment.format import format_simulation
    from cs_lab.experiment.simulation import SimulationSpec, run_simulation
    from cs_lab.simulate import plots as sim_plots

    spec, tracker = ctx.spec, ctx.tracker
    sim_spec = SimulationSpec.parse(spec.simulation)
    task = windows.latest
    recs = {n: s.windows[-1].test_ids[0] for n, s in scores.items()}
    ctx.say(f"[{spec.name}] simulating an A/B test on {task.label}: arms {sim_spec.arms} "
            f"(best = {winner}, chosen on validation)")
    t0 = time.perf_counter()
    out = run_simulation(sim_spec, task, recs, winner, spec.seed)
    res = out.result
    run = ctx.start("ab_simulation", tags={"kind": "simulation", "best": winner})
    tracker.log_params(run, {f"sim.{k}": v for k, v in res.config.model_dump(mode="json").items()})
    tracker.log_text(run, res.to_json(), "simulation.json")
    log_dataframe(tracker, run, res.arms, "arms.csv")
    tracker.log_text(run, markdown_table(res.arms), "arms.md")
    log_dataframe(tracker, run, res.lift, "lift.csv")
    tracker.log_text(run, markdown_table(res.headline()), "lift.md")
    for rec in res.arms.to_dict(orient="records"):
        tracker.log_metrics(run, {f"{rec['arm']}.{k}": v for k, v in rec.items()
                                  if k not in ("arm",) and isinstance(v, (int, float))})
    for metric in ("conversion", "order_value", "revenue_per_session"):
        if (res.lift["metric"] == metric).any():
            fig = sim_plots.plot_lift(res, metric)
            tracker.log_figure(run, fig, f"plots/lift_{metric}.png")
            plots.close(fig)
    control = res.arms.set_index("arm").loc["control"]
    observed = {r["arm"]: r["rel_lift"] for r in res.headline().to_dict(orient="records")
                if r["metric"] == "conversion" and np.isfinite(r["rel_lift"])}
    if 0 < control["conversion"] < 1:
        fig = sim_plots.plot_power_curve(p_control=float(control["conversion"]), alpha=res.config.alpha,
                                         observed=observed or None)
        tracker.log_figure(run, fig, "plots/power_curve.png")
        plots.close(fig)
    ctx.end(run)
    ctx.say(f"    {len(res.per_session):,} sessions simulated in {time.perf_counter() - t0:.1f}s "
            f"(organic rate {res.config.organic_rate:.3f}, take rate {res.config.take_rate:.3f})")
    ctx.say(format_simulation(res))
    return out
