"""Stage 4: parameters + a training period (+ a seed) -> a fitted model, cached on disk.

The cache key holds the parameters, the training split's fingerprint and the code version, so a
rerun with unchanged code and data reuses the model and a code change never does."""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from cs_lab.data.interactions import Interactions
from cs_lab.data.checksums import verify, write_checksums
from cs_lab.experiment.stages.context import RunContext, content_key
from cs_lab.models.base import Recommender

log = logging.getLogger(__name__)


@dataclass
class Fitted:
    model: Recommender
    dir: Path
    seconds: float
    cached: bool


def seeded(params: dict, offset: int) -> dict:
    """The parameters with every seed (the model's and its sub-models') moved by ``offset``."""
    if not offset:
        return params
    return {k: (int(v) + offset if k == "seed" or k.endswith(".seed") else v) for k, v in params.items()}


def is_stochastic(params: dict) -> bool:
    """Whether the model (or any sub-model of a composite: keys ``models.<name>.model``) depends on its seed."""
    from cs_lab.models import registry

    if getattr(registry.get(str(params["model"])), "stochastic", False):
        return True
    subs = {k[: -len(".model")] for k in params if k.startswith("models.") and k.endswith(".model")
            and k.count(".") == 2}
    return any(is_stochastic({k[len(p) + 1:]: v for k, v in params.items() if k.startswith(p + ".")}) for p in subs)


def n_seeds(params: dict, seeds: int) -> int:
    """Fits per window: ``seeds`` for stochastic models, one for deterministic ones."""
    return seeds if is_stochastic(params) else 1


def model_dir(ctx: RunContext, name: str, params: dict, fingerprint: str) -> Path:
    return ctx.options.cache_dir / f"{params.get('model', name)}-{content_key({'params': params, 'train': fingerprint})}"


def fit(ctx: RunContext, name: str, params: dict, train: Interactions, fingerprint: str) -> Fitted:
    """The cached model of this key, else a fresh fit stored under it. Processes sharing the cache
    (``--jobs``: the standard and explore specs fit many identical models) take the key's lock, so
    a model is fitted once and the other process waits for it instead of fitting it again."""
    d = model_dir(ctx, name, params, fingerprint)
    with key_lock(d):
        return _fit_locked(d, params, train)


@contextlib.contextmanager
def key_lock(d: Path):
    """An exclusive ``fcntl.flock`` on ``<cache>/.<key>.lock`` (released by the kernel if the
    holder dies, so a killed fit never blocks a resume)."""
    import fcntl

    d.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(d.parent / f".{d.name}.lock", os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)                    # closing the descriptor releases the lock


def load_cached(d: Path) -> Recommender | None:
    """The model cached as entry ``d``, or None (absent; a damaged entry is removed, to be refitted).
    Call it holding the key's lock."""
    if not (d / "config.json").is_file():
        return None
    try:
        if verify(d):
            return Recommender.load(d)
        log.warning("cannot load cached model %s (its files do not match checksum.json: damaged); refitting", d)
    except Exception as exc:  # a damaged entry (and the recommendations cached in it): refit
        log.warning("cannot load cached model %s (%s: %s); refitting", d, type(exc).__name__, exc)
    shutil.rmtree(d, ignore_errors=True)
    return None


def _fit_locked(d: Path, params: dict, train: Interactions) -> Fitted:
    cached = load_cached(d)
    if cached is not None:
        return Fitted(cached, d, 0.0, True)
    model = Recommender.from_params(params)
    t0 = time.perf_counter()
    model.fit(train)
    seconds = time.perf_counter() - t0
    store(d, model)
    return Fitted(model, d, seconds, False)


def store(d: Path, model: Recommender) -> None:
    """Save a fitted model as cache entry ``d``."""
    d.parent.mkdir(parents=True, exist_ok=True)
    # a private temp folder, renamed into place: another process filling the same key (the standard
    # and explore specs share untuned models; --jobs runs them at once) never sees half a model
    tmp = d.with_name(f"{d.name}.tmp-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    model.save(tmp)
    write_checksums(tmp)
    try:
        if d.exists() and not (d / "config.json").is_file():
            shutil.rmtree(d, ignore_errors=True)      # a damaged entry
        os.rename(tmp, d)
    except OSError:                                   # the other process won: same key, same content
        shutil.rmtree(tmp, ignore_errors=True)
