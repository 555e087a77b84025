"""Arms: what each policy offers in each session, encoded against the hidden-item vocabulary.

An arm's recommendations may be given as
  * ``None`` (or the string "control" / ``NO_OFFER``): no offer at all;
  * an (n_sessions, k) array of item ids (strings), row i = session i of the sessions table,
    column 0 = top slot; ``None`` / "" / NaN pad short rows;
  * ``Arm(ids, items=...)``: an integer (n_sessions, k) array of item *indices* as a model's
    ``recommend`` returns them (-1 = pad), decoded with the vocabulary ``items``;
  * a long DataFrame ``query_id, item_id, rank`` (rank 1 = top slot);
  * a ``(ids, scores)`` tuple as returned by ``Recommender.recommend`` (scores are ignored;
    the ids must be strings, or wrap the tuple's ids in ``Arm``).
Only the first ``slots`` recommendations are shown.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from cs_lab.data import schema as S
from cs_lab.errors import DataError
from cs_lab.simulate.sessions import QUERY, SessionSet

NO_OFFER = "control"
EMPTY = -2
"""Code of an empty slot; -1 is an offered item that is nobody's hidden item."""


@dataclass
class Arm:
    """Integer item indices (n_sessions, k) plus the vocabulary that decodes them (array of ids or
    an object with ``.ids``, e.g. a model's ``items_`` Vocabulary)."""

    ids: np.ndarray
    items: Any
    discounts: np.ndarray | None = None
    """(n_sessions, k) discount fraction per slot (bundle arms, cs_lab.simulate.tactics); None = none."""
    threshold: Any = None
    """An order threshold the arm applies (``ThresholdOffer`` or a mapping value / benefit / amount)."""


def arm_tactics(recs, n: int, slots: int, name: str = "arm"):
    """(discounts (n, slots) or None, ThresholdOffer or None) of an arm; only ``Arm`` carries them."""
    from cs_lab.simulate.tactics import ThresholdOffer, check_discounts

    if not isinstance(recs, Arm):
        return None, None
    d = None if recs.discounts is None else check_discounts(recs.discounts, n, slots, name)
    return d, ThresholdOffer.of(recs.threshold)


def encode_arm(recs, sessions: SessionSet, slots: int, name: str = "arm") -> np.ndarray | None:
    """(n_sessions, slots) int64 codes into ``sessions.items`` (-1 = offered but hidden nowhere,
    -2 = empty slot), or None for "no offer"."""
    if recs is None or (isinstance(recs, str) and recs == NO_OFFER):
        return None
    n = len(sessions)
    if isinstance(recs, pd.DataFrame):
        return _from_long(recs, sessions, slots, name)
    if isinstance(recs, tuple) and len(recs) == 2:
        recs = recs[0]
    if isinstance(recs, Arm):
        ids = np.asarray(recs.ids)
        vocab = np.asarray(getattr(recs.items, "ids", recs.items), dtype=object)
        if ids.ndim != 2 or not np.issubdtype(ids.dtype, np.integer):
            raise DataError(f"arm {name!r}: Arm.ids must be a 2-D integer array, got {ids.dtype} {ids.shape}")
        _check_rows(ids, n, name)
        ids = ids[:, :slots]
        if ids.size and ids.max() >= len(vocab):
            raise DataError(f"arm {name!r}: item index {int(ids.max())} is outside the vocabulary of "
                            f"{len(vocab)} items", hint="pass the vocabulary the model was fitted with")
        table = sessions.items.get_indexer(pd.Index(vocab).astype(str)).astype(np.int64)
        out = np.where(ids >= 0, table[np.maximum(ids, 0)] if len(table) else -1, EMPTY)
        return _pad(out.astype(np.int64), slots)
    raw = np.asarray(recs)
    if raw.ndim != 2:
        raise DataError(f"arm {name!r}: recommendations must be 2-D (n_sessions, k), got shape {raw.shape}")
    if raw.dtype.kind in "iu":
        raise DataError(f"arm {name!r}: got integer item indices",
                        hint="wrap them as Arm(ids, items=<vocabulary ids>) so they can be decoded")
    arr = raw.astype(object)
    _check_rows(arr, n, name)
    arr = arr[:, :slots]
    return _pad(_codes_of(arr.ravel(), sessions.items).reshape(arr.shape), slots)


def _codes_of(ids: np.ndarray, items: pd.Index) -> np.ndarray:
    """Codes of item ids into ``items`` (-1 unknown, EMPTY for None/NaN/""). Factorises first, so
    the string lookup runs once per distinct id (3x faster than get_indexer on every cell)."""
    local, uniq = pd.factorize(ids, use_na_sentinel=True)
    names = pd.Index(uniq, dtype=object).astype(str)
    table = items.get_indexer(names).astype(np.int64)
    table[(names == "")] = EMPTY
    return np.where(local >= 0, table[np.maximum(local, 0)] if len(table) else EMPTY, EMPTY).astype(np.int64)


def _check_rows(arr: np.ndarray, n: int, name: str) -> None:
    if arr.shape[0] != n:
        raise DataError(f"arm {name!r}: {arr.shape[0]} recommendation rows for {n} sessions",
                        hint="rows must be aligned with the sessions table (same order), or pass a long "
                             "table query_id, item_id, rank")


def _pad(codes: np.ndarray, slots: int) -> np.ndarray:
    if codes.shape[1] < slots:
        codes = np.hstack([codes, np.full((codes.shape[0], slots - codes.shape[1]), EMPTY, np.int64)])
    return np.ascontiguousarray(codes)


def _from_long(df: pd.DataFrame, sessions: SessionSet, slots: int, name: str) -> np.ndarray:
    missing = [c for c in (QUERY, S.ITEM, "rank") if c not in df.columns]
    if missing:
        raise DataError(f"arm {name!r}: long recommendation table is missing {missing}",
                        hint="columns query_id, item_id, rank (1 = top slot)")
    rank = df["rank"].to_numpy(dtype=np.int64)
    if len(rank) and rank.min() < 1:
        raise DataError(f"arm {name!r}: rank must be >= 1 (1 = top slot)", column="rank")
    row = pd.Index(sessions.ids).get_indexer(df[QUERY].to_numpy(dtype=object))
    keep = (row >= 0) & (rank <= slots)
    out = np.full((len(sessions), slots), EMPTY, np.int64)
    codes = _codes_of(df[S.ITEM].to_numpy(dtype=object)[keep], sessions.items)
    r, c = row[keep], rank[keep] - 1
    cell = r * slots + c
    if len(np.unique(cell)) != len(cell):
        raise DataError(f"arm {name!r}: a (query_id, rank) pair appears twice", column="rank")
    out[r, c] = codes
    return out
