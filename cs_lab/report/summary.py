"""The results report's opening paragraph, generated from the run's own numbers: the winner chosen on
validation, how sure the comparison intervals make us, what the simulated A/B test says (P(B beats A)
across the rate draws, the randomised and the counterfactual lift) and what the report cannot tell.

Every number quoted is read from the runs (model metrics, comparison.csv, simulation.json); nothing
is recomputed, so the paragraph cannot disagree with the tables below it.
"""

from __future__ import annotations

import math

import pandas as pd

from cs_lab.experiment.format import READ_TOGETHER, certainty_words
from cs_lab.report.runs import ExperimentRuns, metric_key

PRIMARY_SIM_METRIC = "incremental_conversion"


def _f(v: float, signed: bool = False) -> str:
    return f"{v:+.4f}" if signed else f"{v:.4f}"


def winner_sentence(runs: ExperimentRuns, board: pd.DataFrame) -> tuple[str, str]:
    """(winner, sentence): the model the run chose on validation, its validation and test values."""
    obj = runs.objective
    winner = runs.comparison.data.tags.get("winner") or next(iter(runs.models))
    m = runs.models[winner].data.metrics if winner in runs.models else {}
    valid = m.get("valid." + metric_key(obj), math.nan)
    row = board.set_index("model").loc[winner] if winner in set(board["model"]) else None
    text = f"**{winner}** is the model this run chose, on the validation {obj}"
    text += f" ({_f(valid)}, mean over the validation windows)" if math.isfinite(valid) else ""
    if row is not None and math.isfinite(row.get(obj, math.nan)):
        lo, hi = row.get(f"{obj} ci_low", math.nan), row.get(f"{obj} ci_high", math.nan)
        text += f"; on the test carts it scores {_f(row[obj])}"
        text += f" (95% CI [{_f(lo)}, {_f(hi)}])" if math.isfinite(lo) and math.isfinite(hi) else ""
        values = board.set_index("model")[obj].dropna()
        if len(values) > 1:
            best = values.idxmin() if obj.startswith("popularity_bias") else values.idxmax()
            text += (", the best test value as well" if best == winner else
                     f", while {best} has the best test value (reported, not used to choose)")
    return winner, text + "."


def certainty_sentence(winner: str, comparison: pd.DataFrame | None, objective: str, alpha: float) -> str:
    """The winner's rows of the decision family, each with the simultaneous interval that decided it."""
    if comparison is None or comparison.empty:
        return ("No decision family was computed (fewer than two models or no baseline), so nothing says how "
                "sure the choice is.")
    rows = comparison[(comparison["metric"] == objective)
                      & ((comparison["model_a"] == winner) | (comparison["model_b"] == winner))]
    if rows.empty:
        return f"{winner} is itself the only baseline, so it was not compared against one."
    parts = []
    for r in rows.itertuples(index=False):
        flip = r.model_b == winner
        other = r.model_a if flip else r.model_b
        d, lo, hi = (-r.diff, -r.ci_high, -r.ci_low) if flip else (r.diff, r.ci_low, r.ci_high)
        decision = str(getattr(r, "decision", "") or "")
        if flip and decision in ("better", "worse"):
            decision = "worse" if decision == "better" else "better"
        word = {"better": "better than", "worse": "worse than"}.get(decision, "no detectable difference from")
        parts.append(f"{word} {other} ({_f(d, True)} [{_f(lo, True)}, {_f(hi, True)}])")
    sure = all(p.startswith("better") for p in parts)
    head = (f"Against the baselines on the test {objective}, with simultaneous {1 - alpha:.0%} intervals "
            f"(customers resampled), it is " + "; ".join(parts) + ". ")
    return head + ("Every interval excludes 0, so the choice holds against every baseline." if sure else
                   "Not every interval excludes 0: the data cannot rule out that a baseline does as well.")


def _row(records: list[dict], arm: str, metric: str) -> dict | None:
    return next((r for r in records if r.get("arm") == arm and r.get("metric") == metric), None)


def _lift(r: dict) -> str:
    rel = r.get("rel_lift")
    if rel is not None and math.isfinite(rel):
        return f"{rel:+.1%} [{r['rel_ci_low']:+.1%}, {r['rel_ci_high']:+.1%}]"
    return f"{r['abs_lift']:+.4f} [{r['abs_ci_low']:+.4f}, {r['abs_ci_high']:+.4f}] (absolute)"


def _excludes_zero(r: dict) -> bool:
    return r["abs_ci_low"] > 0 or r["abs_ci_high"] < 0


def ab_sentence(simulation: dict | None, winner: str, best_arm: str | None = None) -> str:
    """What the simulated A/B test says about the winner's arm: P(it beats control) across the draws,
    the randomised lift (what a live test of this size would show) and the paired counterfactual."""
    if not simulation:
        return "The spec has no simulated A/B test, so nothing here speaks to business impact."
    config = simulation.get("config", {})
    control = config.get("control", "control")
    arms = [a for a in simulation.get("arms", {}) if a != control]
    arm = best_arm if best_arm in arms else winner if winner in arms else (arms[-1] if arms else None)
    if arm is None:
        return "The simulated A/B test has no treatment arm."
    metric = PRIMARY_SIM_METRIC
    out = []
    draws = simulation.get("draws") or {}
    pair = next((p for p in draws.get("pairs", []) if p.get("metric") == metric
                 and {p.get("arm_a"), p.get("arm_b")} == {control, arm}), None)
    label = metric.replace("_", " ")
    if pair is not None:
        p = pair["p_b_beats_a"] if pair["arm_b"] == arm else 1 - pair["p_b_beats_a"]
        words = certainty_words(p)
        who = "cannot tell" if words == "cannot tell" else f"{arm if p >= 0.5 else control} {words} wins"
        out.append(f"In the simulated A/B test (B = the {arm} arm, A = {control}), P(B beats A) on {label} is "
                   f"{p:.2f} across {draws.get('n', '?')} draws of the rates and customers: {who}")
    head = _row(simulation.get("headline", []), arm, metric)
    cf = _row(simulation.get("counterfactual", []), arm, metric)
    if head is not None:
        out.append(f"the randomised test measures {_lift(head)}, an interval that "
                   + ("excludes 0" if _excludes_zero(head) else "includes 0"))
    if cf is not None:
        out.append(f"scoring every session under both arms (the paired counterfactual) gives {_lift(cf)}, "
                   + ("clear of 0" if _excludes_zero(cf) else "not clear of 0"))
    if not out:
        return f"The simulation logged no {label} result for the {arm} arm."
    text = "; ".join(out) + ". "
    if head is not None and cf is not None and _excludes_zero(cf) and not _excludes_zero(head):
        text += ("So the simulated effect exists, but a live test of this size would likely not detect it. ")
    return text


def limits_sentence(simulation: dict | None, dataset: str) -> str:
    """What the report cannot tell (its assumptions, stated next to the numbers they drive)."""
    parts = [f"offline replays of past carts in `{dataset}` (a hidden item stands in for what the customer "
             "wanted), so they cannot show how customers react to offers they never saw"]
    if simulation:
        assumed = [r["name"] for r in simulation.get("rates", []) if r.get("assumption")]
        parts.append("the A/B numbers come from a simulation driven by rate priors, not from a live test"
                     + (f"; {', '.join(assumed)} {'is an assumption' if len(assumed) == 1 else 'are assumptions'}"
                        " that no data informs" if assumed else ""))
        arms = simulation.get("arms", {})
        if arms and all(v.get("margin_per_session") is None for v in arms.values()):
            parts.append("margins are unknown (the data has no unit cost)")
    return "What this report cannot tell: the test metrics are " + "; ".join(parts) + "."


def summary_paragraph(runs: ExperimentRuns, board: pd.DataFrame, comparison: pd.DataFrame | None,
                      simulation: dict | None) -> str:
    """The opening paragraph of the results report (Markdown)."""
    alpha = float(runs.spec.get("comparison", {}).get("alpha", 0.05))
    winner, first = winner_sentence(runs, board)
    best_arm = runs.simulation.data.tags.get("best") if runs.simulation is not None else None
    return " ".join([first, certainty_sentence(winner, comparison, runs.objective, alpha),
                     ab_sentence(simulation, winner, best_arm).strip(), limits_sentence(simulation, runs.dataset)])


def counterfactual_table(simulation: dict) -> pd.DataFrame:
    """The paired counterfactual rows of simulation.json (every session under every arm vs the control)."""
    cf = pd.DataFrame(simulation.get("counterfactual", []))
    if cf.empty:
        return cf
    cols = ["arm", "metric", "n", "mean_arm", "mean_control", "abs_lift", "abs_ci_low", "abs_ci_high", "rel_lift",
            "rel_ci_low", "rel_ci_high", "p_value", "p_note"]
    return cf[cf["arm"] != cf["control"]][[c for c in cols if c in cf.columns]].reset_index(drop=True)


__all__ = ["READ_TOGETHER", "counterfactual_table", "summary_paragraph"]
