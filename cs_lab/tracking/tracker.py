"""A tracker object the library is handed (no global MLflow state inside cs_lab).

``MlflowTracker`` wraps ``mlflow.MlflowClient`` with explicit run ids; ``NullTracker``
records nothing (and ``MemoryTracker`` records in memory, for tests).
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import tempfile
from pathlib import Path
from typing import Any, Protocol

from cs_lab._faults import kill_point

RUNNING, FINISHED, FAILED, KILLED = "RUNNING", "FINISHED", "FAILED", "KILLED"
MAX_PARAM_LEN = 6000


class Tracker(Protocol):
    def start_run(self, name: str, *, parent_id: str | None = None, tags: dict[str, str] | None = None) -> str: ...
    def log_params(self, run_id: str, params: dict[str, Any]) -> None: ...
    def log_metrics(self, run_id: str, metrics: dict[str, float], step: int | None = None) -> None: ...
    def set_tags(self, run_id: str, tags: dict[str, str]) -> None: ...
    def log_artifact(self, run_id: str, path: str | Path, artifact_path: str | None = None) -> None: ...
    def log_text(self, run_id: str, text: str, artifact_file: str) -> None: ...
    def log_figure(self, run_id: str, figure, artifact_file: str) -> None: ...
    def end_run(self, run_id: str, status: str = FINISHED) -> None: ...
    def set_description(self, run_id: str, markdown: str) -> None: ...
    def log_input(self, run_id: str, name: str, digest: str, source: str, schema: dict | None = None,
                  context: str = "training") -> None: ...
    def log_model(self, run_id: str, path: str | Path, name: str = "model",
                  params: dict[str, Any] | None = None, tags: dict[str, str] | None = None) -> str | None: ...
    def link_model(self, run_id: str, model_id: str) -> None: ...
    def run_status(self, run_id: str) -> str | None: ...
    def reopen_run(self, run_id: str) -> None: ...


EXPERIMENT_KIND_TAG = "mlflow.experimentKind"
MODEL_TRAINING = "custom_model_development"
NOTE_TAG = "mlflow.note.content"


def _clean_metrics(metrics: dict[str, float]) -> dict[str, float]:
    out = {}
    for k, v in metrics.items():
        try:
            f = float(v)
        except (TypeError, ValueError):
            continue
        if math.isfinite(f):
            out[k.replace("@", "_at_")] = f
    return out


class MlflowTracker:
    """Tracker over MlflowClient. One MLflow experiment per tracker (``experiment`` name)."""

    def __init__(self, experiment: str, tracking_uri: str | None = None,
                 artifact_location: str | None = None, description: str | None = None) -> None:
        from mlflow import MlflowClient

        from cs_lab._process import Owner
        from cs_lab._signals import Deferred

        self.tracking_uri = tracking_uri or os.environ.get("MLFLOW_TRACKING_URI") or default_tracking_uri()
        # a fresh SQLite store is created and migrated by the first client call; several processes
        # doing it at once crash (alembic "duplicate column"), so the first call and the
        # experiment's creation run under a file lock beside the database
        with sqlite_init_lock(self.tracking_uri):
            create_sqlite_atomically(self.tracking_uri)
            # every store call runs whole: a SIGTERM inside one is raised when it returns (an
            # interrupted SQLite write would lock the database for the KILLED status that follows)
            self.client = Deferred(MlflowClient(tracking_uri=self.tracking_uri))
            exp = self.client.get_experiment_by_name(experiment)
            if exp is None:
                self.experiment_id = self.client.create_experiment(experiment, artifact_location=artifact_location)
            else:
                self.experiment_id = exp.experiment_id
                if exp.lifecycle_stage == "deleted":
                    self.client.restore_experiment(exp.experiment_id)
            # MLflow 3 opens an experiment on its GenAI pages unless it is marked as model training
            self.client.set_experiment_tag(self.experiment_id, EXPERIMENT_KIND_TAG, MODEL_TRAINING)
            if description:
                self.client.set_experiment_tag(self.experiment_id, NOTE_TAG, description)
        self.experiment = experiment
        self._owner_tags = Owner.me().tags()

    def start_run(self, name, *, parent_id=None, tags=None):
        # who runs it: a run left RUNNING by a dead process is found and closed (close_orphan_runs)
        t = {**self._owner_tags, **(tags or {})}
        if parent_id:
            t["mlflow.parentRunId"] = parent_id
        run = self.client.create_run(self.experiment_id, run_name=name, tags=t)
        return run.info.run_id

    def log_params(self, run_id, params):
        from mlflow.entities import Param

        items = [Param(str(k), str(v)[:MAX_PARAM_LEN]) for k, v in params.items()]
        for i in range(0, len(items), 100):
            self.client.log_batch(run_id, params=items[i:i + 100])

    def log_metrics(self, run_id, metrics, step=None):
        import time

        from mlflow.entities import Metric

        ts = int(time.time() * 1000)
        items = [Metric(k, v, ts, step or 0) for k, v in _clean_metrics(metrics).items()]
        kill_point("mlflow.log_metrics")   # test-only (cs_lab/_faults.py)
        for i in range(0, len(items), 500):
            self.client.log_batch(run_id, metrics=items[i:i + 500])

    def set_tags(self, run_id, tags):
        from mlflow.entities import RunTag

        self.client.log_batch(run_id, tags=[RunTag(k, str(v)) for k, v in tags.items()])

    def log_artifact(self, run_id, path, artifact_path=None):
        p = Path(path)
        if p.is_dir():
            self.client.log_artifacts(run_id, str(p), artifact_path)
        else:
            self.client.log_artifact(run_id, str(p), artifact_path)

    def log_text(self, run_id, text, artifact_file):
        self.client.log_text(run_id, text, artifact_file)

    def log_figure(self, run_id, figure, artifact_file):
        self.client.log_figure(run_id, figure, artifact_file)

    def end_run(self, run_id, status=FINISHED):
        kill_point("mlflow.end_run")       # test-only (cs_lab/_faults.py)
        self.client.set_terminated(run_id, status=status)

    def set_description(self, run_id: str, markdown: str) -> None:
        """The run's description (MLflow renders it as Markdown on the run page)."""
        self.client.set_tag(run_id, NOTE_TAG, markdown)

    def log_input(self, run_id: str, name: str, digest: str, source: str, schema: dict | None = None,
                  context: str = "training") -> None:
        """Record the run's data as an MLflow dataset input (fills the runs table's Dataset column)."""
        from mlflow.entities import Dataset, DatasetInput, InputTag

        ds = Dataset(name=name, digest=digest[:36], source_type="local", source=json.dumps({"uri": source}),
                     schema=json.dumps({"mlflow_colspec": schema}) if schema else None)
        self.client.log_inputs(run_id, datasets=[DatasetInput(ds, [InputTag("mlflow.data.context", context)])])

    def log_model(self, run_id: str, path: str | Path, name: str = "model",
                  params: dict[str, Any] | None = None, tags: dict[str, str] | None = None) -> str:
        """A saved MLflow model folder as an MLflow 3 logged model of the run (the runs table's Models
        column links it). Its artifacts live with the logged model; ``runs:/<run id>/<name>`` still
        resolves to them (MLflow looks the name up among the run's logged models). Returns the model id."""
        from mlflow.entities import LoggedModelStatus
        from mlflow.models import Model

        model = self.client.create_logged_model(
            self.experiment_id, name=name, source_run_id=run_id, model_type="recommender",
            params={str(k): str(v)[:MAX_PARAM_LEN] for k, v in (params or {}).items()},
            tags={str(k): str(v) for k, v in (tags or {}).items()} or None)
        try:
            mlmodel = Path(path) / "MLmodel"
            meta = Model.load(str(mlmodel))          # the model folder names its logged model and run
            meta.model_id, meta.run_id, meta.artifact_path = model.model_id, run_id, model.artifact_location
            meta.save(str(mlmodel))
            self.client.log_model_artifacts(model.model_id, str(path))
        except BaseException:
            self.client.finalize_logged_model(model.model_id, LoggedModelStatus.FAILED)
            raise
        self.client.finalize_logged_model(model.model_id, LoggedModelStatus.READY)
        self.link_model(run_id, model.model_id)
        return model.model_id

    def link_model(self, run_id: str, model_id: str) -> None:
        """List a logged model among the run's outputs (its Models column)."""
        from mlflow.entities import LoggedModelOutput

        self.client.log_outputs(run_id, [LoggedModelOutput(model_id, step=0)])

    def run_status(self, run_id: str) -> str | None:
        """The run's status (RUNNING, FINISHED, ...), or None if this experiment has no such run."""
        from mlflow.exceptions import MlflowException

        try:
            run = self.client.get_run(run_id)
        except MlflowException:
            return None
        if run.info.experiment_id != self.experiment_id or run.info.lifecycle_stage == "deleted":
            return None
        return run.info.status

    def reopen_run(self, run_id: str) -> None:
        """Set an ended (KILLED / FAILED) run RUNNING again, owned by this process: a resumed
        invocation continues under its parent run instead of adding a new one."""
        self.client.update_run(run_id, status=RUNNING)
        self.set_tags(run_id, self._owner_tags)

    def runs(self, filter_string: str = "") -> list:
        return self.client.search_runs([self.experiment_id], filter_string=filter_string, max_results=10000)

    def running_runs(self) -> list[tuple[str, dict[str, str]]]:
        """(run id, tags) of this experiment's runs in status RUNNING."""
        out, token = [], None
        while True:
            page = self.client.search_runs([self.experiment_id], filter_string="attributes.status = 'RUNNING'",
                                           max_results=1000, page_token=token)
            out += [(r.info.run_id, dict(r.data.tags)) for r in page]
            token = page.token
            if not token:
                return out


class NullTracker:
    """Records nothing."""

    def __init__(self) -> None:
        self._n = 0

    def start_run(self, name, *, parent_id=None, tags=None):
        self._n += 1
        return f"null-{self._n}"

    def log_params(self, run_id, params): ...
    def log_metrics(self, run_id, metrics, step=None): ...
    def set_tags(self, run_id, tags): ...
    def log_artifact(self, run_id, path, artifact_path=None): ...
    def log_text(self, run_id, text, artifact_file): ...
    def log_figure(self, run_id, figure, artifact_file): ...
    def end_run(self, run_id, status=FINISHED): ...
    def set_description(self, run_id, markdown): ...
    def log_input(self, run_id, name, digest, source, schema=None, context="training"): ...
    def log_model(self, run_id, path, name="model", params=None, tags=None): return None
    def link_model(self, run_id, model_id): ...
    def run_status(self, run_id): return None
    def reopen_run(self, run_id): ...


class MemoryTracker(NullTracker):
    """Keeps everything in dicts (for tests)."""

    def __init__(self) -> None:
        super().__init__()
        self.runs: dict[str, dict[str, Any]] = {}

    def start_run(self, name, *, parent_id=None, tags=None):
        rid = super().start_run(name)
        self.runs[rid] = {"name": name, "parent": parent_id, "tags": dict(tags or {}), "params": {},
                          "metrics": {}, "history": {}, "artifacts": [], "status": RUNNING}
        return rid

    def log_params(self, run_id, params):
        # like MLflow: a param, once logged, keeps its value (a second value is an error there)
        have = self.runs[run_id]["params"]
        new = {k: str(v) for k, v in params.items()}
        changed = {k: (have[k], v) for k, v in new.items() if k in have and have[k] != v}
        if changed:
            raise ValueError(f"run {run_id}: changing param values is not allowed: {changed}")
        have.update(new)

    def log_metrics(self, run_id, metrics, step=None):
        clean = _clean_metrics(metrics)
        self.runs[run_id]["metrics"].update(clean)      # the latest value, like MLflow's run view
        for k, v in clean.items():                      # every (step, value), like MLflow's metric history
            self.runs[run_id]["history"].setdefault(k, []).append((step or 0, v))

    def set_tags(self, run_id, tags):
        self.runs[run_id]["tags"].update(tags)

    def set_description(self, run_id, markdown):
        self.runs[run_id]["tags"][NOTE_TAG] = markdown

    def log_input(self, run_id, name, digest, source, schema=None, context="training"):
        self.runs[run_id].setdefault("inputs", []).append({"name": name, "digest": digest, "source": source,
                                                           "schema": schema, "context": context})

    def log_artifact(self, run_id, path, artifact_path=None):
        self.runs[run_id]["artifacts"].append(f"{artifact_path or ''}/{Path(path).name}".lstrip("/"))

    def log_model(self, run_id, path, name="model", params=None, tags=None):
        models = self.runs[run_id].setdefault("models", [])
        models.append({"name": name, "params": dict(params or {}), "tags": dict(tags or {}),
                       "files": sorted(str(p.relative_to(path)) for p in Path(path).rglob("*") if p.is_file())})
        model_id = f"m-{run_id}-{len(models)}"
        self.link_model(run_id, model_id)
        return model_id

    def link_model(self, run_id, model_id):
        self.runs[run_id].setdefault("outputs", []).append(model_id)

    def run_status(self, run_id):
        return self.runs[run_id]["status"] if run_id in self.runs else None

    def reopen_run(self, run_id):
        self.runs[run_id]["status"] = RUNNING

    def log_text(self, run_id, text, artifact_file):
        self.runs[run_id]["artifacts"].append(artifact_file)

    def log_figure(self, run_id, figure, artifact_file):
        self.runs[run_id]["artifacts"].append(artifact_file)

    def end_run(self, run_id, status=FINISHED):
        self.runs[run_id]["status"] = status

    def running_runs(self) -> list[tuple[str, dict[str, str]]]:
        return [(rid, dict(r["tags"])) for rid, r in self.runs.items() if r["status"] == RUNNING]


def sqlite_path(uri: str) -> Path | None:
    """The database file of a ``sqlite:///`` tracking URI (None for other URIs and :memory:)."""
    if not uri.startswith("sqlite:///"):
        return None
    path = uri[len("sqlite:///"):].split("?", 1)[0]
    return None if path in ("", ":memory:") else Path(path)


@contextlib.contextmanager
def sqlite_init_lock(uri: str):
    """Hold an exclusive ``fcntl.flock`` on ``<db>.lock`` for a SQLite tracking URI (no-op for
    other URIs, or where flock is unavailable): the database is created and migrated once."""
    db = sqlite_path(uri)
    if db is None:
        yield
        return
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        yield
        return
    db.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(f"{db}.lock", os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def create_sqlite_atomically(uri: str) -> None:
    """A missing SQLite tracking database is created and migrated in ``<db>.init`` and renamed
    into place, so a SIGKILL in the middle of MLflow's migrations never leaves a half-migrated
    database (the next run crashed with alembic ``table ... already exists``). Call it under
    :func:`sqlite_init_lock`; a ``.init`` file left by a killed process is started over."""
    db = sqlite_path(uri)
    if db is None or db.exists():
        return
    from mlflow import MlflowClient

    tmp = db.with_name(db.name + ".init")
    tmp.unlink(missing_ok=True)
    MlflowClient(tracking_uri=f"sqlite:///{tmp}").search_experiments(max_results=1)  # creates, migrates
    os.replace(tmp, db)


def close_orphan_runs(tracker: Tracker) -> list[str]:
    """End KILLED the experiment's runs left RUNNING by a process that is gone.

    A run is orphaned when its owner tags (``cs_lab.owner.pid/host/start``, set by
    ``MlflowTracker.start_run``) name this host and a pid that is not alive or now belongs to
    another process. Runs of live processes, of other hosts, and runs without owner tags are left
    alone. Returns the closed run ids.
    """
    from cs_lab._process import Owner, host

    return _close_running(tracker, lambda owner: owner.is_dead(),
                          {"cs_lab.closed_as_orphan_by": f"pid {os.getpid()} on {host()}"})


def close_own_runs(tracker: Tracker, status: str = KILLED) -> list[str]:
    """End ``status`` every run this process still has RUNNING: the catch-all after Ctrl-C or
    SIGTERM, for a run created in the instant the interrupt arrived (before the runner could
    record its id). Returns the closed run ids."""
    from cs_lab._process import Owner

    me = Owner.me()
    return _close_running(tracker, lambda owner: owner == me, {}, status)


def _close_running(tracker: Tracker, select, tags: dict[str, str], status: str = KILLED) -> list[str]:
    from cs_lab._process import Owner

    find = getattr(tracker, "running_runs", None)
    if find is None:
        return []
    closed = []
    for run_id, run_tags in find():
        owner = Owner.from_tags(run_tags)
        if owner is None or not select(owner):
            continue
        if tags:
            tracker.set_tags(run_id, tags)
        tracker.end_run(run_id, status)
        closed.append(run_id)
    return closed


def default_tracking_uri() -> str:
    """A SQLite database in the current folder (the repo root when run through make)."""
    return f"sqlite:///{Path('mlflow.db').resolve()}"


def log_json(tracker: Tracker, run_id: str, obj: Any, artifact_file: str) -> None:
    tracker.log_text(run_id, json.dumps(obj, indent=2, default=str), artifact_file)


def log_dataframe(tracker: Tracker, run_id: str, df, artifact_file: str) -> None:
    """Write a DataFrame as Parquet / CSV / Markdown (by extension) and log it."""
    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / Path(artifact_file).name
        if p.suffix == ".parquet":
            df.to_parquet(p, index=False)
        elif p.suffix == ".csv":
            df.to_csv(p, index=False)
        else:
            p.write_text(markdown_table(df))
        parent = str(Path(artifact_file).parent)
        tracker.log_artifact(run_id, p, None if parent == "." else parent)


def markdown_table(df, floatfmt: str = ".4f") -> str:
    """A GitHub-flavoured Markdown table of ``df`` (no extra dependency)."""
    def fmt(v):
        if isinstance(v, float):
            return "" if math.isnan(v) else format(v, floatfmt)
        return str(v)
    cols = [str(c) for c in df.columns]
    rows = ["| " + " | ".join(cols) + " |", "|" + "|".join("---" for _ in cols) + "|"]
    for rec in df.itertuples(index=False):
        rows.append("| " + " | ".join(fmt(v) for v in rec) + " |")
    return "\n".join(rows) + "\n"
