"""Multiple-comparison correction."""

from __future__ import annotations

import numpy as np


def holm(pvalues: np.ndarray) -> np.ndarray:
    """Holm-Bonferroni adjusted p-values (step-down, family-wise error control).

    With the m non-NaN p-values sorted ascending, p_(1) <= ... <= p_(m):
        adj_(i) = min(1, max_{j <= i} (m - j + 1) * p_(j))
    Rejecting where adj <= alpha is Holm's procedure at level alpha. NaN inputs
    stay NaN and do not count towards m. Output is in the input order.
    """
    p = np.asarray(pvalues, dtype=np.float64)
    out = np.full(p.shape, np.nan)
    ok = ~np.isnan(p)
    m = int(ok.sum())
    if m == 0:
        return out
    vals = p[ok]
    order = np.argsort(vals, kind="stable")
    scaled = (m - np.arange(m)) * vals[order]
    adjusted = np.minimum(1.0, np.maximum.accumulate(scaled))
    result = np.empty(m)
    result[order] = adjusted
    out[ok] = result
    return out
