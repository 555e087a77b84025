"""A tiny, fast experiment on synthetic data written as a bring-your-own dataset (CSV + mapping),
for tests of the runner, tracking and reports."""

from __future__ import annotations

from pathlib import Path

import yaml

from cs_lab.data.synthetic import generate

MAPPING = {
    "name": "synthetic_shop",
    "file": "lines.csv",
    "columns": {"customer_id": "customer_id", "basket_id": "basket_id", "item_id": "item_id",
                "timestamp": "timestamp", "quantity": "quantity", "unit_price": "unit_price",
                "unit_cost": "unit_cost", "category_1": "category_1", "category_2": "category_2"},
}


def write_synthetic_dataset(folder: Path, seed: int = 0, n_baskets: int = 1500) -> Path:
    """CSV + mapping YAML of a synthetic shop; returns the mapping path."""
    folder.mkdir(parents=True, exist_ok=True)
    lines = generate(n_customers=150, n_items=90, n_baskets=n_baskets, seed=seed).dataset.lines
    lines.drop(columns=["value"]).to_csv(folder / "lines.csv", index=False)
    path = folder / "synthetic_shop.yaml"
    path.write_text(yaml.safe_dump(MAPPING))
    return path


def tiny_spec(folder: Path, name: str = "tiny", trials: int = 3, extra_models: list | None = None,
              **overrides) -> Path:
    """An experiment spec over the synthetic shop with popularity, item_knn and a tuned ALS."""
    mapping = write_synthetic_dataset(folder / "data")
    spec = {
        "name": name,
        "dataset": str(mapping),
        "split": {"test_fraction": 0.3, "windows": 2},
        "seeds": 2,
        "task": {"max_queries": 300, "max_validation_queries": 200},
        "tuning": {"trials": trials, "seed": 0},
        "metrics": {"ks": [5, 10], "objective": "ndcg@10"},
        "comparison": {"baselines": ["popularity"], "bootstrap": 200,
                       "metrics": ["ndcg@10", "hit_rate@10", "recall@10", "hit_value@10"]},
        "models": [
            {"name": "popularity", "config": {"model": "popularity"}},
            {"name": "item_knn", "config": {"model": "item_knn", "weighting": "cosine", "train_on": "baskets"}},
            {"name": "als", "config": {"model": "als", "factors": 8, "iterations": 4, "num_threads": 1},
             "search": {"factors": {"type": "int", "low": 4, "high": 16},
                        "regularization": {"type": "float", "low": 0.001, "high": 1.0, "log": True}}},
            *(extra_models or []),
        ],
        "simulation": {"arms": ["control", "popularity", "best"], "slots": 5, "n_bootstrap": 200, "cuped": True,
                       "rates": "priors", "rate_draws": 50},
        **overrides,
    }
    path = folder / f"{name}.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    return path
