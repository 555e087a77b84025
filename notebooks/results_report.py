# ---
# jupyter:
#   jupytext:
#     cell_metadata_filter: tags,-all
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Results report
#
# The latest complete run of one experiment, read from MLflow (`MlflowClient` only): leaderboard
# with bootstrap confidence intervals, pairwise significance, metrics against K, per-segment
# results, the simulated A/B test, the Optuna studies and the accuracy / beyond-accuracy
# trade-off. Every figure is also logged to the experiment's `comparison` run under `report/`.
#
# Run headless with `cs-lab report SPEC_OR_EXPERIMENT` or `make notebooks EXPERIMENT=name`
# (see docs/reports.md). The parameters below come from environment variables when set; the
# headless runner injects a cell after this one that overrides them.

# %% tags=["parameters"]
import os

EXPERIMENT = os.environ.get("CS_LAB_EXPERIMENT", "complete_journey_basket_completion")
TRACKING_URI = os.environ.get("MLFLOW_TRACKING_URI", "")  # "" = the repository's mlflow.db
FIGURES_DIR = os.environ.get("CS_LAB_FIGURES_DIR", "")  # "" = do not write PNG copies
LOG_TO_MLFLOW = os.environ.get("CS_LAB_LOG_FIGURES", "1") != "0"

# %%
os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
import pandas as pd
from IPython.display import Markdown, display
from mlflow import MlflowClient

from cs_lab.experiment.objective import direction
from cs_lab.report import figures, summary, tables, tuning
from cs_lab.report.execute import default_tracking_uri
from cs_lab.report.publish import FigurePublisher
from cs_lab.report.runs import has_artifact, latest_runs, read_artifact

pd.set_option("display.precision", 4)
pd.set_option("display.max_columns", 50)
client = MlflowClient(TRACKING_URI or default_tracking_uri())
runs = latest_runs(client, EXPERIMENT)
publish = FigurePublisher(client if LOG_TO_MLFLOW else None, runs.comparison_id, "report", FIGURES_DIR or None)
OBJECTIVE, METRICS = runs.objective, runs.ci_metrics
ALPHA = float(runs.spec.get("comparison", {}).get("alpha", 0.05))
TUNED_ON = runs.tuning_objective  # what Optuna optimised (the objective unless tuning.objectives is set)
MAXIMIZE = direction(TUNED_ON) == "maximize"
info = runs.comparison.info
display(Markdown(
    f"**Experiment** `{runs.name}` on dataset `{runs.dataset}`; comparison run `{runs.comparison_id}` "
    f"started {pd.Timestamp(info.start_time, unit='ms'):%Y-%m-%d %H:%M} UTC; git commit "
    f"`{runs.comparison.data.tags.get('git_commit', '?')[:10]}`; objective **{OBJECTIVE}**; "
    f"{len(runs.models)} models: {', '.join(runs.models)}."))

# %% [markdown]
# ## Summary

# %%
board = tables.leaderboard(runs)
comparison = (read_artifact(client, runs.comparison_id, "comparison.csv")
              if has_artifact(client, runs.comparison_id, "comparison.csv") else None)
simulation = (read_artifact(client, runs.simulation.info.run_id, "simulation.json")
              if runs.simulation is not None else None)
display(Markdown(summary.summary_paragraph(runs, board, comparison, simulation)))

# %% [markdown]
# ## Leaderboard
# Test value of the objective and of each secondary metric, pooled over the test carts of every
# rolling-origin window, with its cluster-bootstrap 95% confidence interval (customers resampled).
# Models are in the order the run chose them: by the **validation** objective (the winner first).

# %%
display(tables.tidy(tables.format_leaderboard(board, METRICS))[0])
publish(figures.leaderboard_ci(board, METRICS, title=f"{runs.name}: test metrics with bootstrap 95% CIs"),
        "leaderboard_ci.png")

# %% [markdown]
# ## Repeat or explore?
# Each hidden item is a *repeat* when the customer had bought it in the training period, else an
# *explore* item (Li et al., TOIS 2023). A model that wins on repeat items is a reminder list; the
# cross-sell a retailer pays for is the explore column. `repeat_share` is the share of the
# recommended slots that are repeats.

# %%
split, dropped = tables.tidy(tables.repeat_explore(runs, [OBJECTIVE, *[m for m in METRICS
                                                                      if m.startswith("hit_rate")]]))
display(split)
if dropped:
    display(Markdown(f"_Not shown: {', '.join(dropped)} (no such hidden items: the explore task never "
                     "scores items the customer bought before)._"))

# %% [markdown]
# ## The verdict and its decision family
# The declared family: each model against each baseline on the objective. The intervals are
# simultaneous (max-T bootstrap over customers); a decision is exactly "the interval excludes 0",
# so the interval shown beside a decision is the one that made it. Untested pairs are blank.

# %%
if has_artifact(client, runs.comparison_id, "verdict.txt"):
    print(read_artifact(client, runs.comparison_id, "verdict.txt"))
matrices = tables.pairwise(comparison, OBJECTIVE, list(runs.models))
p_col = "p_adj" if "p_adj" in comparison.columns else "p_holm"
family, _ = tables.tidy(comparison[comparison["metric"] == OBJECTIVE].sort_values(p_col)
                       [["model_a", "model_b", "diff", "ci_low", "ci_high", p_col, "significant"]])
display(family)
publish(figures.significance_heatmap(matrices, OBJECTIVE, ALPHA), "significance.png")

# %% [markdown]
# ## Metrics against K

# %%
long = tables.metrics_long(runs)
publish(figures.metrics_vs_k(long, title=f"{runs.name}: test metrics against the number of offers K"),
        "metrics_vs_k.png")

# %% [markdown]
# ## Per-segment results
# The objective by customer type, cart size and first category of the cart (mean and bootstrap
# 95% CI per segment; `carts` = test carts in the segment).

# %%
if has_artifact(client, runs.comparison_id, "segments.csv"):
    display(tables.segment_table(read_artifact(client, runs.comparison_id, "segments.csv"), list(runs.models)))
else:
    display(Markdown("_No segments.csv in the comparison run._"))

# %% [markdown]
# ## Simulated A/B test
# Lift of each treatment arm over the control arm, with the test configured in the spec
# (relative lift in %, or the absolute difference where the control's mean is 0), then the paired
# counterfactual view (every session under every arm), the rates that drive both (value, interval,
# source) and their assumptions in one paragraph.

# %%
if simulation is not None:
    lift = tables.lift_table(simulation)
    arms, dropped = tables.tidy(read_artifact(client, runs.simulation.info.run_id, "arms.csv"))
    display(arms)
    if dropped:
        display(Markdown(f"_Not shown: {', '.join(dropped)} (no value for any arm: the dataset has no unit "
                         "cost, so margins cannot be computed)._"))
    display(Markdown("**Randomised A/B** (each session sees one arm):"))
    display(tables.tidy(lift)[0])
    counterfactual = summary.counterfactual_table(simulation)
    if len(counterfactual):
        display(Markdown("**Paired counterfactual** (every session under every arm, compared with the control "
                         "session by session):"))
        display(tables.tidy(counterfactual)[0])
        display(Markdown(f"_{summary.READ_TOGETHER}_"))
    display(tables.tidy(tables.rates_table(simulation))[0])
    display(Markdown(tables.assumptions_paragraph(simulation)))
    sim_alpha = float(simulation.get("config", {}).get("alpha", ALPHA))
else:
    display(Markdown("_This experiment has no simulation run._"))
    lift, sim_alpha = pd.DataFrame(), ALPHA
publish(figures.lift_plot(lift, sim_alpha), "ab_lift.png")

# %% [markdown]
# ## Optuna studies
# Validation objective per trial, and PED-ANOVA importances of the searched parameters
# (recomputed from each model run's trials.csv with the spec's search space).

# %%
studies = tuning.studies(client, runs)
publish(figures.optuna_history(studies, TUNED_ON, MAXIMIZE), "optuna_history.png")

# %%
importances = {m: tuning.importances(t, runs.search_space(m), MAXIMIZE) for m, t in studies.items()}
publish(figures.param_importances(importances, studies, tuning.MIN_TRIALS_FOR_IMPORTANCE),
        "param_importances.png")

# %% [markdown]
# ## Accuracy against coverage and novelty
# Coverage: share of the catalogue recommended to anybody in the top K. Novelty: mean
# self-information (bits) of the recommended items; higher = less popular items.

# %%
trade = tables.tradeoff(long, OBJECTIVE)
display(tables.tidy(trade)[0])
publish(figures.tradeoff_scatter(trade, OBJECTIVE), "tradeoff.png")

# %% [markdown]
# ## Logged figures

# %%
display(Markdown("\n".join(f"- `{a}`" for a in publish.logged) or "_Figures were not logged (LOG_TO_MLFLOW off)._"))
