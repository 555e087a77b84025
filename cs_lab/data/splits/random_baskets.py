"""Random basket split, for datasets without timestamps (e.g. Groceries)."""

from __future__ import annotations

import numpy as np

from cs_lab.data import schema as S
from cs_lab.data.splits.base import Split
from cs_lab.errors import ConfigError


def random_basket_split(lines, *, test_fraction: float = 0.2, seed: int = 0) -> Split:
    if not 0 < test_fraction < 1:
        raise ConfigError(f"split.test_fraction must be in (0, 1), got {test_fraction}")
    baskets = np.sort(lines[S.BASKET].unique().astype(str))
    rng = np.random.default_rng(seed)
    test_b = rng.choice(baskets, int(round(len(baskets) * test_fraction)), replace=False)
    is_test = lines[S.BASKET].isin(test_b).to_numpy()
    split = Split("random_baskets", lines[~is_test].reset_index(drop=True), lines[is_test].reset_index(drop=True),
                  {"test_fraction": test_fraction, "seed": seed})
    split.check_no_leakage()
    return split
