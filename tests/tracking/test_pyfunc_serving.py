"""A logged recommender is a real MLflow model: signature, input example, installable requirements,
and `mlflow models serve` answers a cart posted to /invocations."""

import json
import os
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from cs_lab.models import registry
from cs_lab.testing.data import contract_data
from cs_lab.tracking.pyfunc import save_pyfunc

from ._http import free_port, wait_until_up


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    data = contract_data(0)
    model = registry.build({"model": "item_knn"}).fit(data.train)
    return model, save_pyfunc(model, tmp_path_factory.mktemp("pyfunc") / "model")


def test_signature_example_and_requirements(saved):
    from mlflow.models import Model

    model, path = saved
    meta = Model.load(str(path / "MLmodel"))
    assert [c["name"] for c in meta.signature.inputs.to_dict()] == ["cart", "customer_id", "k"]
    assert [c["name"] for c in meta.signature.outputs.to_dict()] == ["item_ids", "scores"]
    assert meta.saved_input_example_info is not None
    reqs = (path / "requirements.txt").read_text()
    assert "cs_lab" not in reqs.replace("cs_lab/", "")  # cs_lab travels as code, not as a PyPI pin
    assert "numpy==" in reqs and "implicit==" in reqs
    assert (path / "code" / "cs_lab" / "models" / "base.py").is_file()
    assert not list(path.rglob("__pycache__"))


@pytest.mark.slow
def test_mlflow_models_serve_answers_a_cart(saved, tmp_path):
    model, path = saved
    port = free_port()
    mlflow_bin = Path(sys.executable).parent / "mlflow"
    # run from an empty folder: the model must bring cs_lab's code with it
    proc = subprocess.Popen([str(mlflow_bin), "models", "serve", "-m", str(path), "--env-manager", "local",
                             "-h", "127.0.0.1", "-p", str(port)], cwd=tmp_path,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            env={**os.environ, "PATH": f"{mlflow_bin.parent}{os.pathsep}{os.environ.get('PATH', '')}"})
    try:
        url = f"http://127.0.0.1:{port}"
        problem = wait_until_up(f"{url}/ping", proc, 120)
        if problem:
            pytest.fail(f"mlflow models serve did not answer /ping: {problem}")
        cart = [str(x) for x in model.items_.ids[:2]]
        body = json.dumps({"dataframe_split": {"columns": ["cart"], "data": [[cart]]}}).encode()
        req = urllib.request.Request(f"{url}/invocations", data=body, headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=60) as r:
            out = json.loads(r.read())
        rows = out["predictions"]
        assert len(rows) == 1 and len(rows[0]["item_ids"]) == 10
        assert not set(rows[0]["item_ids"]) & set(cart)          # never the cart's own items
        direct = model.recommend(model_queries(model, cart), 10)[0][0]
        assert rows[0]["item_ids"] == [str(model.items_.ids[i]) for i in direct if i >= 0]
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


def model_queries(model, cart):
    from cs_lab.data.queries import Queries

    return Queries.from_lists([model.items_.index(cart)], model.n_items)
