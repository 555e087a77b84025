"""Vocabularies: external ids <-> contiguous int indices, with an explicit policy for unknown ids."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from cs_lab.errors import DataError

Missing = Literal["error", "negative"]


class Vocabulary:
    """An ordered set of external ids (strings). ``index(ids)`` maps ids to 0..n-1."""

    def __init__(self, ids) -> None:
        arr = pd.Index(pd.unique(pd.Series(ids, dtype="string").dropna()))
        self._index = pd.Index(arr.astype(str), dtype=object)
        if not self._index.is_unique:  # pragma: no cover - unique() above guarantees it
            raise DataError("vocabulary ids are not unique")

    def __len__(self) -> int:
        return len(self._index)

    @property
    def ids(self) -> np.ndarray:
        return self._index.to_numpy()

    def index(self, ids, missing: Missing = "negative") -> np.ndarray:
        """Indices of ``ids``; unknown or missing ids are -1, or raise with missing='error'."""
        # factorize first (fast on Arrow strings), then look up only the distinct ids
        s = ids if isinstance(ids, pd.Series) else pd.Series(np.asarray(ids, dtype=object), dtype="string")
        codes, uniques = pd.factorize(s, use_na_sentinel=True)
        lookup = self._index.get_indexer(pd.Index(np.asarray(uniques, dtype=object).astype(str), dtype=object))
        idx = np.where(codes >= 0, lookup[np.maximum(codes, 0)] if len(lookup) else -1, -1).astype(np.int64)
        if missing == "error" and (idx < 0).any():
            bad = s[idx < 0].head(5).tolist()
            raise DataError(f"{int((idx < 0).sum())} id(s) not in the vocabulary, e.g. {bad}")
        return idx

    def __contains__(self, item) -> bool:
        return str(item) in self._index

    def __eq__(self, other) -> bool:
        return isinstance(other, Vocabulary) and self._index.equals(other._index)

    def save(self, path: Path) -> None:
        Path(path).write_text(json.dumps(self.ids.tolist()))

    @classmethod
    def load(cls, path: Path) -> "Vocabulary":
        return cls(json.loads(Path(path).read_text()))
