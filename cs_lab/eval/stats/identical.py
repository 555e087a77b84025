"""Metric columns that carry the same numbers for every model (list them once)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from cs_lab.errors import DataError


def identical_columns(per_query: Mapping[str, pd.DataFrame], columns: Sequence[str]) -> dict[str, str]:
    """Map each column that equals an earlier column for every model to the first such column.

    E.g. under leave-one-out (one hidden item per query) recall@10 and
    hit_rate@10 are the same numbers, so ``{"hit_rate@10": "recall@10"}`` when
    columns = ["recall@10", "hit_rate@10"]. Equality is exact per query, with
    NaN equal to NaN; a column equal for some models only is kept. Columns not
    in the result are distinct and should each be reported.
    """
    frames = list(per_query.values())
    for name, frame in per_query.items():
        missing = [c for c in columns if c not in frame.columns]
        if missing:
            raise DataError(f"model {name!r} has no per-query column(s) {missing}")
    out: dict[str, str] = {}
    firsts: list[str] = []
    for col in columns:
        values = [f[col].to_numpy(np.float64) for f in frames]
        match = next((first for first in firsts
                      if all(np.array_equal(v, f[first].to_numpy(np.float64), equal_nan=True)
                             for v, f in zip(values, frames))), None)
        if match is None:
            firsts.append(col)
        else:
            out[col] = match
    return out
