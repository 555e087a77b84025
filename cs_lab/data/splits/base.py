"""What every split returns: train/test lines, parameters, a fingerprint and a leakage check."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from cs_lab.data import schema as S
from cs_lab.errors import LeakageError


def frame_digest(df: pd.DataFrame, columns: tuple[str, ...] = (S.BASKET, S.ITEM, S.TIMESTAMP, S.QUANTITY)) -> str:
    """sha256 of the exact rows (order-sensitive) of the given columns."""
    cols = [c for c in columns if c in df.columns]
    h = hashlib.sha256()
    h.update(json.dumps(cols).encode())
    h.update(str(len(df)).encode())
    if len(df):
        h.update(pd.util.hash_pandas_object(df[cols], index=False).to_numpy().tobytes())
    return h.hexdigest()


@dataclass
class Split:
    """A train/test partition of canonical lines.

    kind        "temporal" | "leave_last_basket" | ...
    params      the parameters that made it (seed included)
    cutoff      the time boundary when there is one (test lines are at or after it)
    customer_cutoffs  per-customer boundaries (next basket: customer_id -> start of the first basket
                not in training), or None
    """

    kind: str
    train: pd.DataFrame
    test: pd.DataFrame
    params: dict[str, Any] = field(default_factory=dict)
    cutoff: pd.Timestamp | None = None
    dropped: dict[str, int] = field(default_factory=dict)
    customer_cutoffs: pd.Series | None = None

    @property
    def fingerprint(self) -> str:
        """Hash of the exact train and test rows and the parameters; 16 hex digits."""
        h = hashlib.sha256()
        h.update(json.dumps({"kind": self.kind, "params": self.params}, sort_keys=True, default=str).encode())
        h.update(frame_digest(self.train).encode())
        h.update(frame_digest(self.test).encode())
        return h.hexdigest()[:16]

    def check_no_leakage(self) -> None:
        """Raise LeakageError when a test basket's line, or (for temporal splits) a basket that starts
        at or after the cut-off, reaches training."""
        shared = np.intersect1d(self.train[S.BASKET].unique(), self.test[S.BASKET].unique())
        if len(shared):
            raise LeakageError(f"{len(shared)} basket(s) are in both train and test, e.g. {shared[:3].tolist()}")
        if self.cutoff is not None:
            # a basket's time is its first line's time (baskets never straddle the cut-off)
            def start(df):
                return df.groupby(S.BASKET, observed=True)[S.TIMESTAMP].min()
            late = int((start(self.train) >= self.cutoff).sum())
            if late:
                raise LeakageError(f"{late} training basket(s) start at or after the cut-off {self.cutoff}")
            early = int((start(self.test) < self.cutoff).sum())
            if early:
                raise LeakageError(f"{early} test basket(s) start before the cut-off {self.cutoff}")

    def summary(self) -> dict[str, Any]:
        return {"kind": self.kind, "params": self.params, "fingerprint": self.fingerprint,
                "cutoff": None if self.cutoff is None else str(self.cutoff),
                "train_lines": len(self.train), "test_lines": len(self.test),
                "train_baskets": int(self.train[S.BASKET].nunique()),
                "test_baskets": int(self.test[S.BASKET].nunique()), "dropped": self.dropped}
