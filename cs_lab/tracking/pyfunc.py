"""Recommenders as MLflow pyfunc models, without pickle.

``save_pyfunc(model, path)`` writes the fitted model (JSON + npz) and an MLmodel file whose
loader module is this one; ``mlflow.pyfunc.load_model(uri).predict(df)`` then works in a
fresh process where cs_lab is installed.

predict() input: a DataFrame with a column ``cart`` (a list of item ids per row) and,
optionally, ``customer_id`` and ``k`` (default 10). Output: a DataFrame with ``item_ids``
(list of recommended item ids, best first) and ``scores`` (list of floats).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd

DEFAULT_K = 10


class RecommenderPyfunc:
    def __init__(self, model) -> None:
        self.model = model

    def predict(self, model_input, params=None):
        from cs_lab.data.queries import Queries

        df = model_input if isinstance(model_input, pd.DataFrame) else pd.DataFrame(model_input)
        if "cart" not in df.columns:
            raise ValueError("pyfunc input needs a 'cart' column: a list of item ids per row")
        k = int((params or {}).get("k", df["k"].iloc[0] if "k" in df.columns and len(df) else DEFAULT_K))
        m = self.model
        carts = [m.items_.index([str(x) for x in (c if c is not None else [])]) for c in df["cart"]]
        customers = (m.customers_.index(df["customer_id"].astype("string").to_numpy())
                     if "customer_id" in df.columns else None)
        q = Queries.from_lists([c[c >= 0] for c in carts], m.n_items, customers=customers)
        ids, scores = m.recommend(q, k)
        vocab = m.items_.ids
        out_ids = [[str(vocab[i]) for i in row if i >= 0] for row in ids]
        out_scores = [[float(s) for s in row[~np.isnan(row)]] for row in scores]
        return pd.DataFrame({"item_ids": out_ids, "scores": out_scores})


def _load_pyfunc(data_path: str) -> RecommenderPyfunc:
    """Entry point MLflow calls (``loader_module``)."""
    from cs_lab.models.base import Recommender

    return RecommenderPyfunc(Recommender.load(Path(data_path)))


#: what loading and scoring a saved model imports (pinned to the installed versions)
RUNTIME_PACKAGES = ("numpy", "scipy", "pandas", "pyarrow", "pydantic", "pyyaml", "numba", "implicit",
                    "rectools-lightfm", "tqdm")


def signature():
    """Input: ``cart`` (list of item ids), optional ``customer_id`` and ``k``; output: ``item_ids``, ``scores``."""
    from mlflow.models import ModelSignature
    from mlflow.types import DataType
    from mlflow.types.schema import Array, ColSpec, Schema

    inputs = Schema([ColSpec(Array(DataType.string), "cart"),
                     ColSpec(DataType.string, "customer_id", required=False),
                     ColSpec(DataType.long, "k", required=False)])
    outputs = Schema([ColSpec(Array(DataType.string), "item_ids"), ColSpec(Array(DataType.double), "scores")])
    return ModelSignature(inputs=inputs, outputs=outputs)


def input_example(model) -> pd.DataFrame:
    """A cart of the model's first two items (a real request shape for the UI and for serving)."""
    ids = [str(x) for x in model.items_.ids[:2]]
    return pd.DataFrame({"cart": [ids]})


def requirements() -> list[str]:
    """Pinned, installable requirements: cs_lab itself travels with the model as code (``code_paths``),
    so nothing here needs a cs_lab release on PyPI."""
    from importlib.metadata import PackageNotFoundError, version

    out = []
    for name in RUNTIME_PACKAGES:
        try:
            out.append(f"{name}=={version(name)}")
        except PackageNotFoundError:
            continue
    return out


def save_pyfunc(model, path: str | Path) -> Path:
    """Write ``model`` as an MLflow pyfunc model folder at ``path`` (must not exist): the fitted model
    (JSON + npz), the cs_lab code it needs, a signature, an input example and pinned requirements."""
    import tempfile

    import mlflow.pyfunc

    import cs_lab

    path = Path(path)
    with tempfile.TemporaryDirectory() as d:
        model_dir = model.save(Path(d) / "recommender")
        mlflow.pyfunc.save_model(
            str(path), loader_module="cs_lab.tracking.pyfunc", data_path=str(model_dir),
            code_paths=[str(Path(cs_lab.__file__).parent)], pip_requirements=requirements(),
            signature=signature(), input_example=input_example(model),
        )
    for cache in path.rglob("__pycache__"):
        shutil.rmtree(cache, ignore_errors=True)
    return path
