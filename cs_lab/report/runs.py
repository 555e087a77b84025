"""Find an experiment's latest complete set of runs and read their artifacts, through MlflowClient only.

    client = MlflowClient(tracking_uri)
    runs = latest_runs(client, "complete_journey_basket_completion")
    board = read_artifact(client, runs.comparison.info.run_id, "leaderboard.csv")

"Latest" is the newest FINISHED ``comparison`` run (tag kind=comparison). Its model runs are the
newest FINISHED runs per ``model_name`` tag started before it with the same ``spec_hash`` tag and the
same parent: the invocation run ``<spec>@<started>`` that groups one `cs-lab run` (stores written
before invocation runs existed: top-level runs started after the previous comparison run). Its
simulation run is the first ``kind=simulation`` run started after it with that spec hash (and parent).
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from cs_lab.errors import CsLabError


class ReportError(CsLabError):
    """A report cannot be built: experiment or run missing, artifact absent, notebook failed."""


@dataclass(frozen=True)
class ExperimentRuns:
    """The runs of one complete execution of an experiment spec.

    experiment   mlflow Experiment entity
    comparison   the ``comparison`` run (figures of the report are logged here, under report/)
    models       model name -> its parent run, in leaderboard order
    simulation   the ``ab_simulation`` run, or None when the spec had no simulation
    spec         the spec as logged (spec.yaml of the comparison run), a plain dict
    """

    experiment: Any
    comparison: Any
    models: dict[str, Any]
    simulation: Any | None
    spec: dict = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.experiment.name

    @property
    def comparison_id(self) -> str:
        return self.comparison.info.run_id

    @property
    def objective(self) -> str:
        """The spec's objective, e.g. ``ndcg@10``."""
        return str(self.spec.get("metrics", {}).get("objective", "ndcg@10"))

    @property
    def tuning_objective(self) -> str:
        """The (first) objective Optuna optimised: tuning.objectives[0], else the objective."""
        return str((self.spec.get("tuning", {}).get("objectives") or [self.objective])[0])

    @property
    def ci_metrics(self) -> list[str]:
        """Metrics with bootstrap CIs: the objective, then the spec's (secondary) comparison.metrics."""
        return list(dict.fromkeys([self.objective, *self.spec.get("comparison", {}).get("metrics", [])]))

    @property
    def dataset(self) -> str:
        return str(self.spec.get("dataset", ""))

    def search_space(self, model: str) -> dict:
        """The ``search`` block of a model in the spec (empty when the model was not tuned)."""
        for m in self.spec.get("models", []):
            if m.get("name") == model:
                return dict(m.get("search") or {})
        return {}


def get_experiment(client, name: str):
    exp = client.get_experiment_by_name(name)
    if exp is None:
        known = sorted(e.name for e in client.search_experiments())
        raise ReportError(f"no MLflow experiment named {name!r} at {client.tracking_uri}; known experiments: "
                          f"{known}. Run `cs-lab run SPEC` first or pass the right --tracking-uri")
    return exp


def latest_runs(client, experiment: str) -> ExperimentRuns:
    """The newest complete set of runs of ``experiment`` (see the module docstring)."""
    exp = get_experiment(client, experiment)
    ids = [exp.experiment_id]
    comps = client.search_runs(ids, filter_string="tags.kind = 'comparison' and attributes.status = 'FINISHED'",
                               order_by=["attributes.start_time DESC"], max_results=2)
    if not comps:
        raise ReportError(f"experiment {experiment!r} has no finished 'comparison' run (tag kind=comparison): "
                          "the experiment did not complete; rerun it with `cs-lab run SPEC`")
    comp = comps[0]
    start = comp.info.start_time
    lower = comps[1].info.start_time if len(comps) > 1 else 0
    spec_hash = comp.data.tags.get("spec_hash")
    spec = yaml.safe_load(read_artifact(client, comp.info.run_id, "spec.yaml")) or {}

    parent = comp.data.tags.get("mlflow.parentRunId")   # the invocation run (None in older stores)
    window = f"attributes.start_time < {start}" if parent else (
        f"attributes.start_time >= {lower} and attributes.start_time < {start}")
    candidates = client.search_runs(
        ids, filter_string=f"tags.model_name LIKE '%' and attributes.status = 'FINISHED' and {window}",
        order_by=["attributes.start_time DESC"], max_results=1000)
    found: dict[str, Any] = {}
    for run in candidates:
        tags = run.data.tags
        if (tags.get("mlflow.parentRunId") != parent or tags.get("spec_hash") != spec_hash
                or tags.get("kind") == "tuning_worker"):
            continue
        found.setdefault(tags["model_name"], run)
    order = [m["name"] for m in spec.get("models", []) if m.get("name") in found]
    order += [n for n in found if n not in order]
    # the order the run chose in: the validation objective (the test set never orders anything)
    objective = str(spec.get("metrics", {}).get("objective", "ndcg@10"))
    sign = 1.0 if objective.split("@")[0] in ("popularity_bias",) else -1.0
    valid_key, test_key = "valid." + metric_key(objective), "test." + metric_key(objective)
    order.sort(key=lambda n: sign * found[n].data.metrics.get(valid_key, found[n].data.metrics.get(
        test_key, float("-inf") if sign < 0 else float("inf"))))
    if not found:
        raise ReportError(f"experiment {experiment!r}: no finished model runs (tag model_name) belong to the "
                          f"comparison run {comp.info.run_id}")

    sims = client.search_runs(
        ids, filter_string=f"tags.kind = 'simulation' and attributes.start_time >= {start}",
        order_by=["attributes.start_time ASC"], max_results=5)
    sim = next((r for r in sims if r.data.tags.get("spec_hash") == spec_hash
                and r.data.tags.get("mlflow.parentRunId") == parent), None)
    return ExperimentRuns(exp, comp, {n: found[n] for n in order}, sim, spec)


def metric_key(name: str) -> str:
    """``ndcg@10`` -> ``ndcg_at_10`` (the tracker's MLflow-safe spelling)."""
    return name.replace("@", "_at_")


def artifact_paths(client, run_id: str, folder: str | None = None) -> list[str]:
    """Artifact file paths of a run under ``folder`` (recursively)."""
    out = []
    for info in client.list_artifacts(run_id, folder):
        if info.is_dir:
            out += artifact_paths(client, run_id, info.path)
        else:
            out.append(info.path)
    return out


def has_artifact(client, run_id: str, path: str) -> bool:
    parent = str(Path(path).parent)
    return path in {a.path for a in client.list_artifacts(run_id, None if parent == "." else parent)}


def read_artifact(client, run_id: str, path: str) -> Any:
    """Download one artifact and read it by extension: .csv/.parquet -> DataFrame, .json -> object,
    anything else -> text."""
    with tempfile.TemporaryDirectory() as d:
        try:
            local = Path(client.download_artifacts(run_id, path, d))
        except Exception as exc:  # mlflow raises MlflowException / OSError depending on the store
            raise ReportError(f"run {run_id}: cannot read artifact {path!r} ({exc})") from exc
        suffix = local.suffix.lower()
        if suffix == ".csv":
            return pd.read_csv(local)
        if suffix == ".parquet":
            return pd.read_parquet(local)
        text = local.read_text()
        return json.loads(text) if suffix == ".json" else text
