"""latest_runs and artifact reading, on the tiny tracked experiment and on hand-made runs."""

import pandas as pd
import pytest
import yaml
from mlflow import MlflowClient

from cs_lab.report import ReportError, latest_runs, read_artifact
from cs_lab.report.runs import artifact_paths, has_artifact, metric_key


def test_latest_runs_of_the_tiny_experiment(runs, tiny_experiment):
    assert runs.name == tiny_experiment.name
    assert set(runs.models) == {"popularity", "item_knn", "als"}
    assert runs.comparison.data.tags["kind"] == "comparison"
    assert runs.simulation is not None and runs.simulation.data.tags["kind"] == "simulation"
    assert runs.objective == "ndcg@10" and "ndcg@10" in runs.ci_metrics
    assert runs.dataset == tiny_experiment.dataset
    assert set(runs.search_space("als")) == {"factors", "regularization"} and runs.search_space("popularity") == {}
    values = [r.data.metrics["test.ndcg_at_10"] for r in runs.models.values()]
    assert values == sorted(values, reverse=True)  # leaderboard order


def test_read_artifact_by_extension(client, runs):
    board = read_artifact(client, runs.comparison_id, "leaderboard.csv")
    assert isinstance(board, pd.DataFrame) and set(board["model"]) == set(runs.models)
    per_query = read_artifact(client, runs.models["als"].info.run_id, "per_query.parquet")
    assert "ndcg@10" in per_query.columns
    assert isinstance(read_artifact(client, runs.simulation.info.run_id, "simulation.json"), dict)
    assert yaml.safe_load(read_artifact(client, runs.comparison_id, "spec.yaml"))["name"] == runs.name
    assert has_artifact(client, runs.comparison_id, "plots/metrics_vs_k.png")
    assert not has_artifact(client, runs.comparison_id, "nope.csv")
    assert "plots/metrics_vs_k.png" in artifact_paths(client, runs.comparison_id)
    with pytest.raises(ReportError, match="nope.csv"):
        read_artifact(client, runs.comparison_id, "nope.csv")


def test_unknown_experiment_lists_the_known_ones(client, tiny_experiment):
    with pytest.raises(ReportError, match=tiny_experiment.name):
        latest_runs(client, "no_such_experiment")


def test_metric_key():
    assert metric_key("ndcg@10") == "ndcg_at_10"


# -- hand-made runs: which execution is "latest" ---------------------------------------------------
def _suite(client, exp_id, t0, spec_hash, models, objective_values, comparison_status="FINISHED",
           model_status="FINISHED"):
    """One execution of a spec: model runs (+ a nested trial), comparison, simulation; start times t0..."""
    ids = {}
    t = t0
    for name, value in zip(models, objective_values):
        run = client.create_run(exp_id, run_name=name, start_time=t,
                                tags={"model": name, "model_name": name, "spec_hash": spec_hash})
        client.log_metric(run.info.run_id, "test.ndcg_at_10", value)
        trial = client.create_run(exp_id, run_name="trial-0", start_time=t + 1,
                                  tags={"mlflow.parentRunId": run.info.run_id, "model_name": name})
        client.set_terminated(trial.info.run_id)
        client.set_terminated(run.info.run_id, status=model_status)
        ids[name] = run.info.run_id
        t += 10
    if comparison_status is None:
        return ids, t
    comp = client.create_run(exp_id, run_name="comparison", start_time=t,
                             tags={"kind": "comparison", "spec_hash": spec_hash})
    spec = {"name": "x", "dataset": "d", "metrics": {"objective": "ndcg@10"},
            "models": [{"name": m} for m in models]}
    client.log_text(comp.info.run_id, yaml.safe_dump(spec), "spec.yaml")
    client.set_terminated(comp.info.run_id, status=comparison_status)
    ids["comparison"] = comp.info.run_id
    sim = client.create_run(exp_id, run_name="ab_simulation", start_time=t + 10,
                            tags={"kind": "simulation", "spec_hash": spec_hash})
    client.set_terminated(sim.info.run_id)
    ids["simulation"] = sim.info.run_id
    return ids, t + 20


@pytest.fixture(scope="module")
def own_client(tmp_path_factory):
    folder = tmp_path_factory.mktemp("handmade")
    return MlflowClient(f"sqlite:///{folder / 'm.db'}"), folder


def test_latest_complete_execution_is_chosen(own_client):
    client, folder = own_client
    exp = client.create_experiment("e", artifact_location=(folder / "e").as_uri())
    first, t = _suite(client, exp, 1_000, "h1", ["a", "b"], [0.1, 0.2])
    second, t = _suite(client, exp, t, "h2", ["a", "b", "c"], [0.3, 0.1, 0.2])
    killed, t = _suite(client, exp, t, "h2", ["a"], [0.9], comparison_status=None, model_status="KILLED")
    runs = latest_runs(client, "e")
    assert runs.comparison_id == second["comparison"]
    assert runs.simulation.info.run_id == second["simulation"]
    assert {n: r.info.run_id for n, r in runs.models.items()} == {n: second[n] for n in ("a", "c", "b")}
    assert list(runs.models) == ["a", "c", "b"]  # best objective first


def test_an_experiment_without_comparison_run_is_an_error(own_client):
    client, folder = own_client
    exp = client.create_experiment("unfinished", artifact_location=(folder / "u").as_uri())
    _suite(client, exp, 1_000, "h", ["a"], [0.1], comparison_status=None)
    with pytest.raises(ReportError, match="no finished 'comparison' run"):
        latest_runs(client, "unfinished")
