"""Explicit cleaning steps that record how many rows each one removed."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd


@dataclass
class CleaningStep:
    name: str
    removed: int
    moved_to_returns: int = 0
    note: str = ""


@dataclass
class CleaningReport:
    """The audit trail of one dataset's cleaning: raw rows in, one entry per step."""

    raw_rows: int = 0
    steps: list[CleaningStep] = field(default_factory=list)

    def apply(self, df: pd.DataFrame, name: str, drop_mask: "pd.Series | np.ndarray",
              note: str = "", to_returns: bool = False) -> tuple[pd.DataFrame, pd.DataFrame]:
        """Drop the rows where ``drop_mask`` is true; returns (kept, dropped)."""
        mask = pd.Series(drop_mask, index=df.index).fillna(False).astype(bool)
        dropped = df[mask]
        kept = df[~mask]
        n = int(mask.sum())
        self.steps.append(CleaningStep(name, 0 if to_returns else n, n if to_returns else 0, note))
        return kept, dropped

    @property
    def clean_rows(self) -> int:
        return self.raw_rows - sum(s.removed + s.moved_to_returns for s in self.steps)

    def to_dict(self) -> dict:
        return {"raw_rows": self.raw_rows, "clean_rows": self.clean_rows,
                "steps": [s.__dict__ for s in self.steps]}

    @classmethod
    def from_dict(cls, d: dict) -> "CleaningReport":
        return cls(raw_rows=d["raw_rows"], steps=[CleaningStep(**s) for s in d["steps"]])

    def table(self) -> str:
        width = max([len(s.name) for s in self.steps] + [10])
        rows = [f"  {'raw rows read':<{width}}  {self.raw_rows:>10,}"]
        for s in self.steps:
            if s.moved_to_returns:
                rows.append(f"  {s.name:<{width}}  {-s.moved_to_returns:>10,}  (to returns)")
            else:
                rows.append(f"  {s.name:<{width}}  {-s.removed:>10,}")
        rows.append(f"  {'rows after cleaning':<{width}}  {self.clean_rows:>10,}")
        return "\n".join(rows)
