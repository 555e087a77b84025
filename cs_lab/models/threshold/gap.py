"""The gap-closing rule of the ``threshold`` re-ranker, as plain array functions.

For a cart of value v below the threshold T the gap is g = T - v. An add-on of value a (unit price x
typical quantity per line, both training medians) gets the fit

    fit(a, g) = a / g                            if a < g   (progress towards T, in [0, 1))
              = 1 + exp(-(a - g) / (tol x g))    if a >= g  (closes the gap; 2 at an exact close,
                                                             falling towards 1 with the overshoot)
              = 0                                if a is unknown

so every item that closes the gap beats every item that does not, and among closers the one with
the least overshoot wins. The final score of one of the base model's top-N candidates is

    score = 2 + (1 - w) x b + w x fit / 2

with b the base score min-max normalised over those candidates (in [0, 1]) and w the ``weight``;
other items keep their min-max normalised base score (in [0, 1], below every candidate). Carts whose
value already reaches T keep the base model's scores untouched, and so (``only_closable``, the
default) do carts for which no candidate closes the gap on its own: re-ranking them would only push
dearer items up without reaching T.
"""

from __future__ import annotations

import numpy as np


def cart_values(carts, line_value: np.ndarray) -> np.ndarray:
    """(n,) value of each cart: the sum of its items' line values (unknown prices count 0)."""
    return np.asarray(carts @ np.nan_to_num(line_value, nan=0.0)).ravel()


def gap_fit(addon_value: np.ndarray, gap: np.ndarray, tolerance: float) -> np.ndarray:
    """(n, m) fit of each add-on value (m,) to each positive gap (n,) (see the module docstring)."""
    a = addon_value[None, :]
    g = gap[:, None]
    with np.errstate(invalid="ignore", over="ignore"):
        closes = 1.0 + np.exp(-(a - g) / (tolerance * g))
        fit = np.where(a >= g, closes, a / g)
    return np.where(np.isfinite(a) & (a >= 0), fit, 0.0)


def rerank(scores: np.ndarray, gap: np.ndarray, addon_value: np.ndarray, *, weight: float, tolerance: float,
           candidates: int, only_closable: bool = True) -> np.ndarray:
    """Re-ranked copy of the base ``scores`` (n, m) for rows with gap > 0 (and, ``only_closable``, a
    candidate whose value reaches the gap); other rows unchanged."""
    out = scores.copy()
    rows = np.flatnonzero(gap > 0)
    if not len(rows):
        return out
    s = scores[rows]
    finite = np.isfinite(s)
    n_cand = np.minimum(finite.sum(axis=1), candidates)
    # the top-N candidates per row (ties broken by item index, as the final top-k does)
    order = np.lexsort((np.broadcast_to(np.arange(s.shape[1]), s.shape), -np.where(finite, s, -np.inf)), axis=1)
    is_cand = np.zeros_like(finite)
    take = np.arange(s.shape[1])[None, :] < n_cand[:, None]
    np.put_along_axis(is_cand, order, take, axis=1)
    fit = gap_fit(addon_value, gap[rows], tolerance)
    if only_closable:
        closable = (is_cand & (fit >= 1.0)).any(axis=1)
        rows, s, finite, is_cand, fit = rows[closable], s[closable], finite[closable], is_cand[closable], fit[closable]
        if not len(rows):
            return out
    base_all = _minmax(s, finite)
    base_cand = _minmax(s, is_cand)
    new = np.where(is_cand, 2.0 + (1.0 - weight) * base_cand + weight * fit / 2.0, base_all)
    out[rows] = np.where(finite, new, -np.inf)
    return out


def _minmax(s: np.ndarray, mask: np.ndarray) -> np.ndarray:
    lo = np.where(mask, s, np.inf).min(axis=1, keepdims=True)
    hi = np.where(mask, s, -np.inf).max(axis=1, keepdims=True)
    span = hi - lo
    with np.errstate(invalid="ignore", divide="ignore"):
        out = np.where(span > 0, (s - lo) / np.where(span > 0, span, 1.0), 1.0)
    return np.where(mask, out, 0.0)
