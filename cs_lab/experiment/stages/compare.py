"""Stage 7b: the comparison that reads consistently.

* The leaderboard: every metric pooled over the test carts of every window (averaged over seeds),
  with its cluster-bootstrap 95% interval and the spread (standard deviation) of the window means;
  overall, repeat and explore columns; the validation objective that chose the order.
* The declared decision family: each model against each baseline on the primary objective, with
  simultaneous max-T bootstrap intervals; a decision is exactly "the interval excludes 0".
* Secondary metrics: unadjusted paired intervals, no decisions, labelled as such; metrics identical
  by construction (recall@k = hit_rate@k under leave-one-out) listed once.
* The verdict: the validation-chosen winner, its family rows, and whether it beats every baseline in
  every window.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from cs_lab._progress import bar
from cs_lab.eval.stats import bootstrap_ci, compare_family, compare_secondary, identical_columns
from cs_lab.experiment.metric_names import parse_metric_name
from cs_lab.experiment.stages.context import RunContext
from cs_lab.experiment.stages.evaluate import ModelScores
from cs_lab.experiment.stages.select import Selection

PARTS = ("", ".repeat", ".explore")


@dataclass
class Verdict:
    winner: str
    objective: str
    rows: pd.DataFrame                       # the winner's rows of the family
    windows_held: int                        # windows where the winner beats every baseline on test
    n_windows: int
    test_best: str                           # best on the pooled test objective (reported, never used)
    lines: list[str] = field(default_factory=list)

    def text(self) -> str:
        return "\n".join(self.lines)


@dataclass
class Comparison:
    leaderboard: pd.DataFrame
    family: pd.DataFrame | None
    secondary: pd.DataFrame | None
    per_window: pd.DataFrame                 # model x window: test objective
    duplicates: dict[str, str]
    verdict: Verdict | None
    shown: list[str]                         # metric columns shown, objective first


def family_pairs(models: list[str], baselines: list[str]) -> list[tuple[str, str]]:
    """(model, baseline) for every model and baseline; a pair of baselines once."""
    pairs, seen = [], set()
    for b in baselines:
        for m in models:
            if m != b and frozenset((m, b)) not in seen:
                seen.add(frozenset((m, b)))
                pairs.append((m, b))
    return pairs


def _better(diff_low: float, diff_high: float, maximize: bool) -> str:
    if diff_low > 0:
        return "better" if maximize else "worse"
    if diff_high < 0:
        return "worse" if maximize else "better"
    return "no detectable difference"


def compare(ctx: RunContext, scores: dict[str, ModelScores], sel: Selection) -> Comparison:
    spec = ctx.spec
    cmp = spec.comparison
    objective = sel.objective
    names = list(scores)
    frames, clusters = {}, None
    for n, s in scores.items():
        frames[n], cl = s.per_query("test")
        clusters = cl if clusters is None else clusters
    if cmp.resample == "baskets":
        clusters = None
    k = parse_metric_name(objective).k
    wanted = list(dict.fromkeys([objective, *cmp.metrics]))
    first = frames[names[0]]
    dup = identical_columns(frames, [c for c in wanted if c in first.columns and c != objective])
    secondary = [c for c in wanted if c != objective and c in first.columns and c not in dup]
    shown = [objective] + secondary
    extra = [c for c in (f"repeat_share@{k}", f"fill_rate@{k}") if c in first.columns and c not in shown]

    # leaderboard
    progress = bar(len(scores) + 2, f"bootstrap ({cmp.bootstrap} replicates)", "step")
    with warnings.catch_warnings():     # all-NaN parts (the explore task has no repeat items) are dropped below
        warnings.simplefilter("ignore", RuntimeWarning)
        rows = _board_rows(scores, sel, frames, shown, extra, clusters, spec, progress)
    board = pd.DataFrame(rows).set_index("model").loc[sel.ranking].reset_index()
    empty = [c for c in board.columns if c not in ("model", "kind") and board[c].isna().all()
             and not c.endswith(" sd")]
    board = board.drop(columns=empty + [f"{c} {x}" for c in empty for x in ("ci_low", "ci_high", "sd")
                                        if f"{c} {x}" in board.columns])
    per_window = pd.DataFrame({n: s.test_values(objective) for n, s in scores.items()},
                              index=[f"w{i}" for i in range(len(scores[names[0]].windows))]).T

    family = second = verdict = None
    baselines, same = distinct_baselines([b for b in cmp.all_baselines if b in scores], scores)
    if len(names) >= 2 and baselines:
        pairs = family_pairs(names, baselines)
        family = compare_family(frames, objective, pairs, clusters=clusters, alpha=cmp.alpha,
                                n_boot=cmp.bootstrap, seed=spec.seed)
        progress.update()
        maximize = sel.direction == "maximize"
        family["decision"] = [_better(lo, hi, maximize) for lo, hi in zip(family["ci_low"], family["ci_high"])]
        if secondary:
            second = compare_secondary(frames, secondary, pairs, clusters=clusters, ci=1 - cmp.alpha,
                                       n_boot=cmp.bootstrap, seed=spec.seed)
        progress.update()
        verdict = make_verdict(sel, family, per_window, board, baselines, objective, cmp.bootstrap, cmp.alpha)
        verdict.lines += [f"  ({b} recommends exactly what {a} does in every window here, so the family counts them "
                          "as one baseline)" for b, a in same.items()]
    progress.close()
    return Comparison(board, family, second, per_window, dup, verdict, shown)


def distinct_baselines(baselines: list[str], scores: dict[str, ModelScores]) -> tuple[list[str], dict[str, str]]:
    """Baselines whose test lists are identical to an earlier baseline's in every window and seed
    (personal in the explore task: its whole list is the popularity fallback) are dropped from the
    family, so no comparison is counted twice. Returns (kept, {dropped: the identical one})."""
    kept, same = [], {}
    for b in baselines:
        twin = next((a for a in kept if len(scores[a].windows) == len(scores[b].windows) and all(
            all(np.array_equal(x, y) for x, y in zip(wa.test_ids, wb.test_ids)) and len(wa.test_ids) == len(wb.test_ids)
            for wa, wb in zip(scores[a].windows, scores[b].windows))), None)
        if twin is None:
            kept.append(b)
        else:
            same[b] = twin
    return kept, same


def make_verdict(sel: Selection, family: pd.DataFrame, per_window: pd.DataFrame, board: pd.DataFrame,
                 baselines: list[str], objective: str, n_boot: int | None = None,
                 alpha: float = 0.05) -> Verdict:
    from cs_lab.experiment.format import fmt_p

    w = sel.winner
    maximize = sel.direction == "maximize"
    sign = 1.0 if maximize else -1.0
    others = [b for b in baselines if b != w]
    held = int(sum(all(sign * (per_window.loc[w, c] - per_window.loc[b, c]) > 0 for b in others)
                   for c in per_window.columns)) if others else len(per_window.columns)
    pooled = board.set_index("model")[objective]
    test_best = str(pooled.idxmax() if maximize else pooled.idxmin())
    rows = family[(family["model_a"] == w) | (family["model_b"] == w)].copy()
    level = f"{1 - alpha:.0%}"
    lines = [f"Chosen on validation: {w} ({objective} {sel.valid[w]:.4f}, mean over "
             f"{len(per_window.columns)} validation window(s); the test set played no part)."]
    if w in baselines and not others:
        lines.append("The winner is the only baseline; nothing to compare.")
    for r in rows.itertuples(index=False):
        flip = r.model_b == w
        other = r.model_a if flip else r.model_b
        d, lo, hi = (-r.diff, -r.ci_high, -r.ci_low) if flip else (r.diff, r.ci_low, r.ci_high)
        lines.append(f"  vs {other:<16} {d:+.4f}  simultaneous {level} CI [{lo:+.4f}, {hi:+.4f}]  "
                     f"-> {_better(lo, hi, maximize)} (adjusted p {fmt_p(r.p_adj, n_boot)})")
    n_w = len(per_window.columns)
    if others:
        lines.append(f"  Ahead of every baseline on the test {objective} in {held} of {n_w} window(s) (point estimates)"
                     + (" -- holds in every window." if held == n_w else " -- does NOT hold in every window."))
    lines.append(f"  Best on the pooled test {objective}: {test_best}"
                 + (" (agrees with the validation choice)." if test_best == w else
                    f" (differs from the validation choice; reported, not used)."))
    return Verdict(w, objective, rows, held, n_w, test_best, lines)


def _board_rows(scores, sel, frames, shown, extra, clusters, spec, progress=None) -> list[dict]:
    cmp, objective = spec.comparison, sel.objective
    rows = []
    for n, s in scores.items():
        row = {"model": n, "kind": s.kind, "trials": s.n_trials, f"valid {objective}": sel.valid[n]}
        for c in shown:
            base = str(parse_metric_name(c)._replace(part=""))
            for part in (PARTS if not parse_metric_name(c).part else ("",)):
                col = c if parse_metric_name(c).part else base + part
                if col not in frames[n].columns:
                    continue
                iv = bootstrap_ci(frames[n][col].to_numpy(), n_boot=cmp.bootstrap, seed=spec.seed, clusters=clusters)
                row[col] = iv.estimate
                row[f"{col} ci_low"], row[f"{col} ci_high"] = iv.low, iv.high
                row[f"{col} sd"] = float(np.nanstd(s.test_values(col), ddof=1)) if len(s.windows) > 1 else np.nan
        for c in extra:
            row[c] = float(np.nanmean(frames[n][c].to_numpy()))
        row["seeds"] = s.seeds
        rows.append(row)
        if progress is not None:
            progress.update()
    return rows
