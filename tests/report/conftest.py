"""One tiny tracked experiment (synthetic shop, 2 Optuna trials, local SQLite MLflow) shared by
the report tests of this package."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from cs_lab.experiment.runner import ExperimentRunner, RunOptions
from cs_lab.experiment.spec import load_spec
from cs_lab.testing.experiment import tiny_spec
from cs_lab.tracking import MlflowTracker


@dataclass(frozen=True)
class TinyExperiment:
    name: str
    spec_path: Path
    dataset: str            # the mapping YAML of the synthetic shop
    tracking_uri: str
    folder: Path

    def client(self):
        from mlflow import MlflowClient

        return MlflowClient(self.tracking_uri)


@pytest.fixture(scope="package")
def tiny_experiment(tmp_path_factory) -> TinyExperiment:
    folder = tmp_path_factory.mktemp("report_experiment")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CS_LAB_CACHE_DIR", str(folder / "cache"))
        mp.setenv("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
        path = tiny_spec(folder, name="tiny_report", trials=2)
        spec = load_spec(path)
        uri = f"sqlite:///{folder / 'mlflow.db'}"
        tracker = MlflowTracker(spec.name, tracking_uri=uri, artifact_location=(folder / "artifacts").as_uri())
        ExperimentRunner(spec, tracker, RunOptions(run_dir=folder / "runs", progress=False, log_models=False)).run()
        yield TinyExperiment(spec.name, path, spec.dataset, uri, folder)


@pytest.fixture(scope="package")
def client(tiny_experiment):
    return tiny_experiment.client()


@pytest.fixture(scope="package")
def runs(tiny_experiment, client):
    from cs_lab.report import latest_runs

    return latest_runs(client, tiny_experiment.name)
