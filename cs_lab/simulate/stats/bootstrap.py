"""Poisson bootstrap of per-arm means, vectorised and chunked (bounded memory).

Each resample gives every session an independent weight w ~ Poisson(1) instead of drawing n
sessions with replacement (Hanley & MacGibbon 2006; Chamandy et al. 2012): for large n the two
are equivalent, and the weights of different arms are independent, as their samples are.

Speed: the weights come from one random byte each through a 256-entry table whose counts
(94, 95, 46, 16, 4, 1 for w = 0..5) approximate Poisson(1) to within 1.1/256 per value and match
its mean and variance exactly (1 and 1; third moment 4.98 instead of 5).
All metrics are done at once: one float32 matrix product
(weights block) @ (centred metric columns) per chunk, summed in float64. Values are centred on
their arm mean first, so float32 rounding acts on deviations, not on the level.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

import numpy as np

from cs_lab.errors import ConfigError, DataError

POISSON_COUNTS = (94, 95, 46, 16, 4, 1)
WEIGHT_TABLE = np.repeat(np.arange(len(POISSON_COUNTS), dtype=np.float32), POISSON_COUNTS)
assert WEIGHT_TABLE.size == 256
_CUTS = np.cumsum(POISSON_COUNTS)[:-1].astype(np.uint8)  # w = number of cuts <= byte
BLOCK_REPLICATES = 128
"""Replicates drawn per random stream (fixed, so results do not depend on the data size)."""
CHUNK_ELEMENTS = 1 << 21
"""Weights materialised at once per thread: 2M -> about 14 MB (random bytes, comparison buffers,
float32 weights)."""
PARALLEL_MIN_ELEMENTS = 1 << 24
"""Below this many weights (sessions x resamples) threads cost more than they save."""


def _weights(raw: np.ndarray, acc: np.ndarray, tmp: np.ndarray) -> np.ndarray:
    """WEIGHT_TABLE[raw] as float32, computed as a sum of byte comparisons (3x faster than a gather)."""
    np.greater_equal(raw, _CUTS[0], out=tmp)
    acc[...] = tmp.view(np.uint8)
    for c in _CUTS[1:]:
        np.greater_equal(raw, c, out=tmp)
        np.add(acc, tmp.view(np.uint8), out=acc)
    return acc.astype(np.float32)


def _block_sums(yc: np.ndarray, n_rep: int, seed_seq: np.random.SeedSequence) -> np.ndarray:
    """(n_rep, m) sums of w * yc per column for one block of replicates; yc's last column is all ones,
    so the last output column is the sum of the weights."""
    n, m = yc.shape
    bitgen = np.random.PCG64(seed_seq)
    out = np.zeros((n_rep, m), dtype=np.float64)
    step = max(1, CHUNK_ELEMENTS // n_rep)
    acc = np.empty((n_rep, min(step, n)), dtype=np.uint8)
    tmp = np.empty(acc.shape, dtype=bool)
    for s in range(0, n, step):
        e = min(n, s + step)
        k = e - s
        raw = bitgen.random_raw((n_rep * k + 7) // 8).view(np.uint8)[: n_rep * k].reshape(n_rep, k)
        out += _weights(raw, acc[:, :k], tmp[:, :k]) @ yc[s:e]
    return out


def poisson_bootstrap_means(values: np.ndarray, n_boot: int, seed: int | np.random.SeedSequence = 0,
                            n_jobs: int = 2, clusters: np.ndarray | None = None) -> np.ndarray:
    """(n_boot, m) Poisson-bootstrap replicates of the column means of ``values`` (n, m).
    With ``clusters`` (n,) one weight per cluster (all its rows share it): the cluster bootstrap.

    Deterministic given (values, n_boot, seed), whatever ``n_jobs`` (threads over blocks of
    replicates; each block has its own random stream). Memory: O(n * m + n_jobs * CHUNK_ELEMENTS).
    """
    y = np.asarray(values, dtype=np.float64)
    if y.ndim == 1:
        y = y[:, None]
    if y.ndim != 2 or y.shape[0] == 0:
        raise DataError(f"bootstrap needs a non-empty (n, m) array, got shape {y.shape}")
    if n_boot < 1:
        raise ConfigError(f"n_bootstrap must be >= 1, got {n_boot}")
    if not np.isfinite(y).all():
        raise DataError("bootstrap values must be finite (drop NaN metrics first)")
    mean = y.mean(axis=0)
    if clusters is None:
        yc = np.empty((y.shape[0], y.shape[1] + 1), dtype=np.float32)
        yc[:, :-1] = y - mean
        yc[:, -1] = 1.0
    else:  # rows = clusters: sums of the centred values, and the cluster sizes as the weight column
        inv = np.unique(np.asarray(clusters), return_inverse=True)[1]
        g = int(inv.max()) + 1
        yc = np.empty((g, y.shape[1] + 1), dtype=np.float32)
        for j in range(y.shape[1]):
            yc[:, j] = np.bincount(inv, weights=y[:, j] - mean[j], minlength=g)
        yc[:, -1] = np.bincount(inv, minlength=g)
    ss = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
    n_blocks = -(-n_boot // BLOCK_REPLICATES)
    jobs = [(min(BLOCK_REPLICATES, n_boot - b * BLOCK_REPLICATES), child)
            for b, child in enumerate(ss.spawn(n_blocks))]
    with _single_threaded_blas():
        if n_jobs > 1 and n_blocks > 1 and yc.shape[0] * n_boot >= PARALLEL_MIN_ELEMENTS:
            with ThreadPoolExecutor(min(n_jobs, n_blocks)) as ex:
                parts = list(ex.map(lambda j: _block_sums(yc, *j), jobs))
        else:
            parts = [_block_sums(yc, *j) for j in jobs]
    sums = np.vstack(parts)
    w = sums[:, -1:]
    with np.errstate(invalid="ignore", divide="ignore"):
        return mean + np.where(w > 0, sums[:, :-1] / w, 0.0)


_BLAS: list = []


@contextmanager
def _single_threaded_blas():
    """The matrix products here are skinny: BLAS threads waking up for each one cost more than they
    bring, and our own threads already use the cores. Keep BLAS at one thread meanwhile (when
    threadpoolctl is installed; otherwise leave BLAS alone)."""
    if not _BLAS:
        try:
            from threadpoolctl import ThreadpoolController
            _BLAS.append(ThreadpoolController())
        except ImportError:  # pragma: no cover - threadpoolctl ships with scikit-learn
            _BLAS.append(None)
    if _BLAS[0] is None:  # pragma: no cover
        yield
        return
    with _BLAS[0].limit(limits=1, user_api="blas"):
        yield


def percentile_interval(reps: np.ndarray, alpha: float) -> tuple[np.ndarray, np.ndarray]:
    """Column-wise (alpha/2, 1 - alpha/2) percentiles of bootstrap replicates (n_boot, m)."""
    lo, hi = np.quantile(reps, [alpha / 2, 1 - alpha / 2], axis=0)
    return lo, hi


def bootstrap_pvalue(diff_reps: np.ndarray) -> np.ndarray:
    """Two-sided percentile-bootstrap p-value of H0: difference = 0, per column:
    2 * min(P*(d <= 0), P*(d >= 0)), with the (count + 1) / (B + 1) correction, capped at 1."""
    b = diff_reps.shape[0]
    le = ((diff_reps <= 0).sum(axis=0) + 1) / (b + 1)
    ge = ((diff_reps >= 0).sum(axis=0) + 1) / (b + 1)
    return np.minimum(1.0, 2 * np.minimum(le, ge))
