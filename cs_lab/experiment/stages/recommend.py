"""Stage 5: a fitted model + an eval set -> top-K id arrays (the eval set's exclusion policy applied),
cached beside the model, keyed by the holdout, K, the policy and the code version."""

from __future__ import annotations

import logging
import os

import numpy as np

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
        try:
            ids = np.load(path)
            if ids.shape == (len(ev), k) and ids.dtype == np.int64 and ids.max(initial=-1) < ev.queries.n_items:
                return ids
            log.warning("cached recommendations %s do not match this eval set; recomputing", path)
        except (OSError, ValueError) as exc:
            log.warning("cannot read cached recommendations %s (%s); recomputing", path, exc)
    ids = recommend_ids(fitted.model, ev, k)
    tmp = path.with_name(f"{path.stem}.tmp-{os.getpid()}.npy")
    np.save(tmp, ids)
    tmp.replace(path)
    return ids
