"""Stage 5: a fitted model + an eval set -> top-K id arrays (the eval set's exclusion policy applied),
cached beside the model, keyed by the holdout, K, the policy and the code version."""

from __future__ import annotations

import hashlib
import io
import json
import logging
import os
from pathlib import Path

import numpy as np

from cs_lab._faults import kill_point
from cs_lab.data.cache import write_atomic_bytes
from cs_lab.experiment.objective import recommend as recommend_ids
from cs_lab.experiment.stages.context import content_key
from cs_lab.experiment.stages.fit import Fitted
from cs_lab.experiment.task import EvalSet

log = logging.getLogger(__name__)


def recommend(fitted: Fitted, ev: EvalSet, k: int) -> np.ndarray:
    key = content_key({"holdout": ev.holdout.fingerprint, "k": k, "exclude_history": ev.exclude is not None,
                       "n": len(ev)})
    path = fitted.dir / f"recs-{key}.npy"
    if path.is_file():
        ids = _load_checked(path, len(ev), k, ev.queries.n_items)
        if ids is not None:
            return ids
    ids = recommend_ids(fitted.model, ev, k)
    tmp = path.with_name(f"{path.stem}.tmp-{os.getpid()}.npy")
    np.save(tmp, ids)
    digest = hashlib.sha256(tmp.read_bytes()).hexdigest()
    write_atomic_bytes(sidecar(path), json.dumps({"sha256": digest}).encode())
    kill_point("recommend")            # test-only (cs_lab/_faults.py): sidecar written, .npy not yet
    tmp.replace(path)
    return ids


def sidecar(path: Path) -> Path:
    """``recs-<key>.json`` beside ``recs-<key>.npy``: the sha256 of the .npy as written."""
    return path.with_suffix(".json")


def _load_checked(path: Path, n: int, k: int, n_items: int) -> np.ndarray | None:
    """The cached ids, or None (with a one-line warning when the file is damaged) to recompute them."""
    try:
        data = path.read_bytes()
        try:
            expected = json.loads(sidecar(path).read_text())["sha256"]
        except FileNotFoundError:
            log.debug("cached recommendations %s have no checksum sidecar; recomputing", path)
            return None
        if hashlib.sha256(data).hexdigest() != expected:
            log.warning("cached recommendations %s do not match their checksum (damaged); recomputing", path)
            return None
        ids = np.load(io.BytesIO(data), allow_pickle=False)
        if ids.shape == (n, k) and ids.dtype == np.int64 and ids.max(initial=-1) < n_items:
            return ids
        log.warning("cached recommendations %s do not match this eval set; recomputing", path)
    except Exception as exc:  # noqa: BLE001 - any damage (truncated, bad JSON, bad header): recompute
        log.warning("cannot read cached recommendations %s (%s: %s); recomputing", path, type(exc).__name__, exc)
    return None
