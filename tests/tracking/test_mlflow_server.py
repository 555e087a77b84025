"""A real `mlflow server` on a free loopback port: run a tiny experiment against it, read the runs
back over its REST API, and load the logged pyfunc model in a fresh process."""

import json
import os
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from cs_lab.experiment.runner import ExperimentRunner, RunOptions
from cs_lab.experiment.spec import load_spec
from cs_lab.testing.experiment import tiny_spec
from cs_lab.tracking import MlflowTracker

from ._http import free_port, wait_until_up

pytestmark = pytest.mark.slow


@pytest.fixture
def mlflow_server(tmp_path):
    port = free_port()
    bin_dir = Path(sys.executable).parent
    proc = subprocess.Popen(
        [str(bin_dir / "mlflow"), "server", "--host", "127.0.0.1", "--port", str(port),
         "--backend-store-uri", f"sqlite:///{tmp_path / 'server.db'}",
         "--artifacts-destination", str(tmp_path / "artifacts"), "--workers", "1"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        # no background job runners (a dozen huey consumers): the test needs only tracking
        env={**os.environ, "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false"})
    url = f"http://127.0.0.1:{port}"
    problem = wait_until_up(f"{url}/health", proc, 90)
    if problem:
        proc.kill()
        pytest.fail(f"mlflow server did not start: {problem}")
    yield url
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()


def rest(url: str, path: str, body: dict) -> dict:
    req = urllib.request.Request(f"{url}/api/2.0/mlflow/{path}", data=json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json"}, method="POST")
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.loads(r.read())


def test_tiny_experiment_against_real_server(mlflow_server, tmp_path, tmp_cache):
    spec = load_spec(tiny_spec(tmp_path, name="served", trials=2))
    tracker = MlflowTracker(spec.name, tracking_uri=mlflow_server, description="A tiny shop, for the test.")
    res = ExperimentRunner(spec, tracker, RunOptions(run_dir=tmp_path / "runs", progress=False)).run()

    exp = rest(mlflow_server, "experiments/search", {"max_results": 10, "filter": "name = 'served'"})
    exp_id = exp["experiments"][0]["experiment_id"]
    exp_tags = {t["key"]: t["value"] for t in exp["experiments"][0]["tags"]}
    # the UI opens on the runs (model training), not on the GenAI overview; the description is shown
    assert exp_tags["mlflow.experimentKind"] == "custom_model_development"
    assert exp_tags["mlflow.note.content"] == "A tiny shop, for the test."
    runs = rest(mlflow_server, "runs/search", {"experiment_ids": [exp_id], "max_results": 100})["runs"]
    by_name = {r["info"]["run_name"]: r for r in runs}
    # one top-level row for the invocation; the model, comparison and simulation runs nest under it
    tops = [r for r in runs if "mlflow.parentRunId" not in {t["key"] for t in r["data"]["tags"]}]
    assert len(tops) == 1 and tops[0]["info"]["run_name"].startswith("served@")
    top_id = tops[0]["info"]["run_id"]
    assert {r["info"]["run_name"] for r in runs
            if {t["key"]: t["value"] for t in r["data"]["tags"]}.get("mlflow.parentRunId") == top_id} == \
        {"popularity", "item_knn", "als", "comparison", "ab_simulation"}
    assert {t["key"]: t["value"] for t in tops[0]["data"]["tags"]}["winner"] == res.selection.winner
    assert [d["dataset"]["name"] for d in tops[0]["inputs"]["dataset_inputs"]] == [res.task.dataset.name]
    assert {"popularity", "item_knn", "als", "comparison", "als/trial-0", "als/trial-1"} <= set(by_name)
    assert all(r["info"]["status"] == "FINISHED" for r in runs)
    als = by_name["als"]
    metrics = {m["key"]: m["value"] for m in als["data"]["metrics"]}
    # pooled over the test carts of every window (each cart averaged over the seeds)
    pooled = res.outcomes["als"].per_query("test")[0]["ndcg@10"].mean()
    assert abs(metrics["test.ndcg_at_10"] - pooled) < 1e-12
    assert abs(metrics["test.w1.ndcg_at_10"] - res.outcomes["als"].test_values("ndcg@10")[1]) < 1e-12
    tags = {t["key"]: t["value"] for t in als["data"]["tags"]}
    assert tags["split_fingerprint"] == res.task.split.fingerprint
    # the Dataset column: each model run has its data as an MLflow dataset input
    inputs = als["inputs"]["dataset_inputs"]
    assert [d["dataset"]["name"] for d in inputs] == [res.task.dataset.name]
    assert len(inputs[0]["dataset"]["digest"]) > 8
    assert json.loads(inputs[0]["dataset"]["schema"])["mlflow_colspec"]
    # the comparison run's description holds the leaderboard; the winner's run is tagged
    comp_tags = {t["key"]: t["value"] for t in by_name["comparison"]["data"]["tags"]}
    winner = res.selection.winner
    assert f"`{winner}` wins on validation" in comp_tags["mlflow.note.content"]
    assert all(m in comp_tags["mlflow.note.content"] for m in ("popularity", "item_knn", "als"))
    assert {t["key"]: t["value"] for t in by_name[winner]["data"]["tags"]}.get("winner") == "true"
    assert all({t["key"]: t["value"] for t in by_name[m]["data"]["tags"]}.get("winner") is None
               for m in ("popularity", "item_knn", "als") if m != winner)
    trial_parent = {t["key"]: t["value"] for t in by_name["als/trial-0"]["data"]["tags"]}["mlflow.parentRunId"]
    assert trial_parent == als["info"]["run_id"]
    # the Models column: each model run's output is a READY logged model named "model", made by that run
    models = rest(mlflow_server, "logged-models/search", {"experiment_ids": [exp_id], "max_results": 50})["models"]
    by_source = {m["info"]["source_run_id"]: m["info"] for m in models}
    for name in ("popularity", "item_knn", "als"):
        outputs = by_name[name]["outputs"]["model_outputs"]
        assert len(outputs) == 1
        info = by_source[by_name[name]["info"]["run_id"]]
        assert info["model_id"] == outputs[0]["model_id"] and info["name"] == "model"
        assert info["status"] == "LOGGED_MODEL_READY"
        assert {t["key"]: t["value"] for t in info["tags"]}["model_name"] == name
    # the invocation row links the winner's model
    assert [o["model_id"] for o in tops[0]["outputs"]["model_outputs"]] == \
        [o["model_id"] for o in by_name[res.selection.winner]["outputs"]["model_outputs"]]

    # the logged pyfunc model loads and predicts in a fresh process
    code = (
        "import mlflow.pyfunc, pandas as pd, sys\n"
        f"m = mlflow.pyfunc.load_model('runs:/{als['info']['run_id']}/model')\n"
        "out = m.predict(pd.DataFrame({'cart': [['I0001', 'I0002'], []]}))\n"
        "print(len(out), len(out['item_ids'][0]))\n"
    )
    env = {**os.environ, "MLFLOW_TRACKING_URI": mlflow_server}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=180)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ["2", "10"]

    # a rerun is one more top-level row, not a dozen; `latest_runs` (the reports) finds the new one
    from mlflow import MlflowClient

    from cs_lab.report.runs import latest_runs

    again = ExperimentRunner(spec, MlflowTracker(spec.name, tracking_uri=mlflow_server),
                             RunOptions(run_dir=tmp_path / "runs", progress=False, log_models=False)).run()
    runs = rest(mlflow_server, "runs/search", {"experiment_ids": [exp_id], "max_results": 200})["runs"]
    tops = [r for r in runs if "mlflow.parentRunId" not in {t["key"] for t in r["data"]["tags"]}]
    assert len(tops) == 2 and all(r["info"]["run_name"].startswith("served@") for r in tops)
    latest = latest_runs(MlflowClient(tracking_uri=mlflow_server), spec.name)
    assert latest.comparison_id == again.summary_run
    assert {r.info.run_id for r in latest.models.values()} == {s.run_id for s in again.outcomes.values()}
