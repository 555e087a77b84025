"""One top-level MLflow run per invocation of a spec: ``<spec>@<started>`` (tag kind=invocation).

Its model runs, the ``comparison`` run and the ``ab_simulation`` run nest under it, so a rerun adds
one row to the runs table, not a dozen. A resumed invocation (the previous one on this run folder was
killed or failed) continues under the same parent run: its id is kept in the run folder
(``invocation.json``) until the invocation finishes.
"""

from __future__ import annotations

import json
import os
from datetime import datetime, timezone
from pathlib import Path

from cs_lab.experiment.stages.context import RunContext
from cs_lab.tracking.tracker import FINISHED

RECORD = "invocation.json"
KIND = "invocation"


def stamp(now: datetime | None = None) -> str:
    """The invocation's start, UTC, to the second: ``2026-11-30T23:05:59Z``."""
    return (now or datetime.now(timezone.utc)).strftime("%Y-%m-%dT%H:%M:%SZ")


def _where(ctx: RunContext) -> dict[str, str]:
    """Which store and experiment a recorded run id belongs to (a run folder may be tracked elsewhere)."""
    t = ctx.tracker
    return {"tracking_uri": str(getattr(t, "tracking_uri", "")), "experiment_id": str(getattr(t, "experiment_id", "")),
            "tracker": type(t).__name__}


def _record(ctx: RunContext) -> Path:
    return ctx.options.run_dir / RECORD


def _resumable(ctx: RunContext) -> str | None:
    """The parent run of an unfinished earlier invocation on this run folder and tracker, if any."""
    path = _record(ctx)
    try:
        rec = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(rec, dict) or {k: rec.get(k) for k in _where(ctx)} != _where(ctx):
        return None
    run_id = rec.get("run_id")
    status = ctx.tracker.run_status(run_id) if isinstance(run_id, str) else None
    return run_id if status is not None and status != FINISHED else None


def start_invocation(ctx: RunContext) -> str:
    """Open (or, on a resume, reopen) the invocation's parent run; stages' runs nest under it."""
    spec = ctx.spec
    started = ctx.options.invocation or stamp()
    run = _resumable(ctx)
    if run is not None:
        ctx.tracker.reopen_run(run)
        ctx.tracker.set_tags(run, {"resumed_at": stamp()})
        ctx.open_runs.append(run)
        ctx.say(f"[{spec.name}] resuming under MLflow run {run} (the unfinished previous invocation)")
    else:
        run = ctx.start(f"{spec.name}@{started}", tags={"kind": KIND, "invocation": started})
        ctx.tracker.set_description(run, f"`cs-lab run` of spec `{spec.name}` started {started}: one model run "
                                         "per model (its tuning trials nested under it), the `comparison` run"
                                         " (leaderboard) and the `ab_simulation` run.")
        _write(ctx, run)
    ctx.root = run
    return run


def finish_invocation(ctx: RunContext, run: str, summary: dict[str, str] | None = None,
                      metrics: dict[str, float] | None = None, description: str | None = None) -> None:
    """Put the answer on the parent row (winner tag, its metrics, the leaderboard) and end it FINISHED."""
    if summary:
        ctx.tracker.set_tags(run, summary)
    if metrics:
        ctx.tracker.log_metrics(run, metrics)
    if description:
        ctx.tracker.set_description(run, description)
    ctx.root = None
    ctx.end(run)
    _record(ctx).unlink(missing_ok=True)


def _write(ctx: RunContext, run: str) -> None:
    path = _record(ctx)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps({"run_id": run, **_where(ctx)}))
    os.replace(tmp, path)
