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
# # Dataset report
#
# What the baskets of one dataset look like: basket sizes, the item-popularity long tail, prices
# and the strongest association rules (FP-Growth over every basket, `cs_lab.models.rules`).
#
# `DATASET` is a dataset name (`complete_journey`, `groceries`, ...) or a column-mapping YAML;
# left empty it is the dataset of `EXPERIMENT`'s latest run (its logged spec.yaml). With an
# experiment, the figures are logged to its `comparison` run under `report/dataset/`.

# %% tags=["parameters"]
import os

EXPERIMENT = os.environ.get("CS_LAB_EXPERIMENT", "complete_journey_basket_completion")  # "" = no MLflow
TRACKING_URI = os.environ.get("MLFLOW_TRACKING_URI", "")  # "" = the repository's mlflow.db
DATASET = os.environ.get("CS_LAB_DATASET", "")  # name or mapping YAML; "" = the experiment's dataset
FIGURES_DIR = os.environ.get("CS_LAB_FIGURES_DIR", "")  # "" = do not write PNG copies
LOG_TO_MLFLOW = os.environ.get("CS_LAB_LOG_FIGURES", "1") != "0"
MIN_SUPPORT = float(os.environ.get("CS_LAB_MIN_SUPPORT", "0.002"))  # share of baskets
MIN_CONFIDENCE = float(os.environ.get("CS_LAB_MIN_CONFIDENCE", "0.1"))
MAX_LEN = 3  # largest itemset mined
TOP_RULES = 20

# %%
os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
import pandas as pd
from IPython.display import Markdown, display
from mlflow import MlflowClient

from cs_lab.data import load_dataset
from cs_lab.report import dataset as report
from cs_lab.report.execute import default_tracking_uri
from cs_lab.report.publish import FigurePublisher
from cs_lab.report.runs import latest_runs

pd.set_option("display.precision", 4)
pd.set_option("display.max_colwidth", 80)
runs = None
if EXPERIMENT:
    client = MlflowClient(TRACKING_URI or default_tracking_uri())
    runs = latest_runs(client, EXPERIMENT)
    DATASET = DATASET or runs.dataset
if not DATASET:
    raise ValueError("set DATASET (a dataset name or a mapping YAML) or EXPERIMENT")
publish = FigurePublisher(client if runs is not None and LOG_TO_MLFLOW else None,
                          runs.comparison_id if runs is not None else None, "report/dataset", FIGURES_DIR or None)
ds = load_dataset(DATASET)
display(Markdown(f"**Dataset** `{ds.name}` (from `{DATASET}`)"
                 + (f"; figures logged to run `{runs.comparison_id}` of experiment `{runs.name}`" if runs else "")))
display(report.summary(ds))

# %% [markdown]
# ## Basket sizes

# %%
publish(report.basket_size_figure(ds.basket_sizes(), ds.name), "basket_sizes.png")

# %% [markdown]
# ## Item popularity: the long tail

# %%
popularity = report.item_popularity(ds)
display(popularity.head(10))
publish(report.popularity_figure(popularity, ds.name), "item_popularity.png")

# %% [markdown]
# ## Prices

# %%
publish(report.price_figure(ds), "prices.png")

# %% [markdown]
# ## Association rules
# Single-item consequents: "carts holding the antecedent also buy the consequent".
# support = share of baskets holding both; confidence = P(consequent | antecedent);
# lift = confidence / support of the consequent (> 1: bought together more than by chance).

# %%
rules, item_ids = report.mine_rules(ds, MIN_SUPPORT, MIN_CONFIDENCE, MAX_LEN)
all_rules = report.rules_frame(rules, report.item_labels(ds, item_ids))
display(Markdown(f"{len(all_rules):,} rules at min_support={MIN_SUPPORT:g}, min_confidence={MIN_CONFIDENCE:g}, "
                 f"max_len={MAX_LEN}; the top {min(TOP_RULES, len(all_rules))} by lift:"))
display(all_rules.head(TOP_RULES))
publish(report.rules_figure(all_rules, MIN_SUPPORT, MIN_CONFIDENCE, ds.name), "rules.png")

# %% [markdown]
# ## Logged figures

# %%
display(Markdown("\n".join(f"- `{a}`" for a in publish.logged) or "_Figures were not logged to MLflow._"))
