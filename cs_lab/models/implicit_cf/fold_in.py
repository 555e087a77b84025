"""Cart fold-in under a model's own loss, item factors held fixed (BPR, LMF, LightFM).

For a row (a cart, or a customer's history) with positive items C and weights a_i, the query
vector x minimises one of two convex objectives over a fixed, seeded set of negative items N
with probabilities p_j (``Negatives``; s_k = x . y_k + b_k):

    pairwise (BPR)    f(x) = sum_i a_i sum_j p~_j softplus(-(s_i - s_j))              + lam/2 |x|^2
    pointwise (LMF)   f(x) = sum_i a_i softplus(-s_i) + m sum_j p_j softplus(s_j)     + lam/2 |x|^2

(p~_j = p_j, or 0 for a negative that is itself in the row when ``exclude_positives``; m is the
row's negative mass). With ``user_bias`` x carries a free bias coordinate (y_k gets a constant 1).

Solver: majorise-minimise with Boehning's bound sigma' <= 1/4, which gives every row a fixed
Hessian bound H (built once from the row's items and the negatives' precomputed second moment).
Each iteration takes the direction -H^-1 g and the exact 1-D Newton length t >= 1 on that line
(scores are linear in x, so moving along it costs no matrix product), guarded so that f never
rises: the pairwise loss falls back to the MM step (t = 1) when the slope at the new point is
positive, the pointwise loss keeps whichever of t and 1 gives the lower f. Rows are sorted by
length and solved in padded blocks; sums over a row's own entries run in compiled loops in a
fixed order (numba), so a row's result does not depend on the others in its block, bit for bit
(no BLAS product: its rounding can depend on how many rows it gets). Rows without entries give zeros.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import scipy.sparse as sp

from cs_lab.models.implicit_cf.matrices import _one_blas_thread

Loss = Literal["pairwise", "pointwise"]


@dataclass(frozen=True)
class Negatives:
    """Negative items and their probabilities (summing to 1), fixed for a fitted model."""

    items: np.ndarray     # (S,) int64, sorted, distinct
    weights: np.ndarray   # (S,) float64

    @classmethod
    def draw(cls, item_weights: np.ndarray, size: int, seed: int) -> "Negatives":
        """Items with probability proportional to ``item_weights`` (zero = never drawn): all of
        them with their exact probabilities when at most ``size`` items qualify, otherwise
        ``size`` seeded draws with replacement, as distinct items weighted by their counts."""
        w = np.asarray(item_weights, dtype=np.float64)
        ok = np.flatnonzero(w > 0)
        if len(ok) == 0:
            return cls(np.zeros(0, np.int64), np.zeros(0))
        if len(ok) <= size:
            return cls(ok.astype(np.int64), w[ok] / w[ok].sum())
        rng = np.random.default_rng(np.random.SeedSequence([int(seed) & 0xFFFFFFFF, 0xF01D]))
        draws = rng.choice(len(w), size=size, replace=True, p=w / w.sum())
        items, counts = np.unique(draws, return_counts=True)
        return cls(items.astype(np.int64), counts / float(size))


def fold_in(rows: sp.csr_matrix, item_factors: np.ndarray, item_bias: np.ndarray, negatives: Negatives, *,
            loss: Loss, regularization: float, iterations: int, negative_mass: np.ndarray | None = None,
            user_bias: bool = False, exclude_positives: bool = False, max_block: int = 1 << 22) -> np.ndarray:
    """(n, F) float64 query vectors for the rows of ``rows`` (its values are the weights a_i).

    ``negative_mass`` (n,) is m per row (pointwise loss only). The user bias, when solved for, is
    dropped from the result: it does not change a ranking."""
    if loss not in ("pairwise", "pointwise"):
        raise ValueError(f"loss must be 'pairwise' or 'pointwise', got {loss!r}")
    rows = sp.csr_matrix(rows, dtype=np.float64)
    n, f = rows.shape[0], item_factors.shape[1]
    y = np.asarray(item_factors, dtype=np.float64)
    if user_bias:
        y = np.concatenate([y, np.ones((len(y), 1))], axis=1)
    b = np.asarray(item_bias, dtype=np.float64)
    d = y.shape[1]
    yn, bn, p = y[negatives.items], b[negatives.items], negatives.weights
    mu, g2 = p @ yn, (yn * p[:, None]).T @ yn
    mass = np.zeros(n) if negative_mass is None else np.asarray(negative_mass, dtype=np.float64)
    slot = np.full(len(y), -1, np.int64)
    slot[negatives.items] = np.arange(len(negatives.items))
    out = np.zeros((n, d))
    counts = np.diff(rows.indptr)
    order = np.flatnonzero(counts)
    order = order[np.argsort(counts[order], kind="stable")]
    start = 0
    with _one_blas_thread():
        while start < len(order):
            # largest block whose (rows, longest, S) pair tensors fit the budget
            cost = np.arange(1, len(order) - start + 1) * (counts[order[start:]] + 1) * max(len(p), d)
            stop = start + max(1, int(np.searchsorted(cost, max_block, side="right")))
            r = order[start:stop]
            items, a = _padded(rows, r, int(counts[order[stop - 1]]))
            solver = _Block(y[items], b[items], a, yn, bn, p, mu, g2, loss, float(regularization), mass[r])
            if exclude_positives and loss == "pairwise":
                solver.mask_positives(slot[items], a > 0)
            out[r] = solver.solve(iterations)
            start = stop
    return out[:, :f]


def _padded(rows: sp.csr_matrix, r: np.ndarray, length: int) -> tuple[np.ndarray, np.ndarray]:
    starts, sizes = rows.indptr[r], np.diff(rows.indptr)[r]
    pos = np.arange(length)[None, :]
    valid = pos < sizes[:, None]
    idx = np.where(valid, starts[:, None] + pos, 0)
    return np.where(valid, rows.indices[idx], 0), np.where(valid, rows.data[idx], 0.0)


def _pair_exps(sc, sn, r, lengths, ep, en):  # pragma: no cover - compiled
    """ep[i] = e^-(s_i - c), en[j] = e^(s_j - c) for row r (c = the row's mean positive score;
    exponents clamped to +-300), so e^(s_j - s_i) = ep[i] * en[j]: two exponentials per item
    instead of one per pair."""
    c = 0.0
    for i in range(lengths[r]):
        c += sc[r, i]
    c /= max(lengths[r], 1)
    for i in range(lengths[r]):
        ep[i] = np.exp(min(max(c - sc[r, i], -300.0), 300.0))
    for j in range(sn.shape[1]):
        en[j] = np.exp(min(max(sn[r, j] - c, -300.0), 300.0))


def _pairs_grad(sc, sn, a, p, lengths, rows, r_row, r_col):  # pragma: no cover - compiled
    """For each listed row r: r_row[r, i] = sum_j w_ij sigmoid(-z_ij) and r_col[r, j] = sum_i (same),
    with z_ij = sc_i - sn_j and w_ij = a_i p_j: the pieces of the pairwise loss's gradient."""
    s = sn.shape[1]
    ep, en = np.empty(sc.shape[1]), np.empty(s)
    for k in range(len(rows)):
        r = rows[k]
        _pair_exps(sc, sn, r, lengths, ep, en)
        for j in range(s):
            r_col[r, j] = 0.0
        for i in range(lengths[r]):
            acc = 0.0
            ai = a[r, i]
            for j in range(s):
                e = ep[i] * en[j]             # e^-z
                v = p[r, j] * e / (1.0 + e)   # p_j sigmoid(-z); p_j = 0 for an excluded negative
                acc += v
                r_col[r, j] += ai * v
            r_row[r, i] = ai * acc


def _pairs_curvature(sc, sn, uc, un, a, p, lengths, out):  # pragma: no cover - compiled
    """out[r] = sum_ij a_i p_j sigmoid'(z_ij) (uc_i - un_j)^2: the loss's curvature along a step."""
    m, s = sn.shape
    ep, en = np.empty(sc.shape[1]), np.empty(s)
    for r in range(m):
        _pair_exps(sc, sn, r, lengths, ep, en)
        c = 0.0
        for i in range(lengths[r]):
            part = 0.0
            for j in range(s):
                e = ep[i] * en[j]
                q = 1.0 + e
                du = uc[r, i] - un[r, j]
                part += p[r, j] * e / (q * q) * du * du
            c += a[r, i] * part
        out[r] = c


def _row_sums(v, lengths, out):  # pragma: no cover - compiled
    """out[r] = v[r, 0] + ... + v[r, lengths[r] - 1], in that order (independent of the padding)."""
    for r in range(v.shape[0]):
        acc = 0.0
        for i in range(lengths[r]):
            acc += v[r, i]
        out[r] = acc


def _row_combine(coef, yc, lengths, out):  # pragma: no cover - compiled
    """out[r] = sum_i coef[r, i] yc[r, i] over the row's entries, in order."""
    m, _, d = yc.shape
    for r in range(m):
        for k in range(d):
            out[r, k] = 0.0
        for i in range(lengths[r]):
            c = coef[r, i]
            for k in range(d):
                out[r, k] += c * yc[r, i, k]


def _row_outer(a, yc, lengths, out):  # pragma: no cover - compiled
    """out[r] = sum_i a[r, i] yc[r, i] yc[r, i]^T over the row's entries, in order."""
    m, _, d = yc.shape
    for r in range(m):
        for k in range(d):
            for q in range(d):
                out[r, k, q] = 0.0
        for i in range(lengths[r]):
            for k in range(d):
                c = a[r, i] * yc[r, i, k]
                for q in range(d):
                    out[r, k, q] += c * yc[r, i, q]


def _row_project(yc, v, out):  # pragma: no cover - compiled
    """out[r, i] = yc[r, i] . v[r]."""
    m, length, d = yc.shape
    for r in range(m):
        for i in range(length):
            acc = 0.0
            for k in range(d):
                acc += yc[r, i, k] * v[r, k]
            out[r, i] = acc


def _times_negatives(coef, yn, out):  # pragma: no cover - compiled
    """out[r] = sum_j coef[r, j] yn[j] (j in order): a row's product with the negatives' factors."""
    m, s = coef.shape
    d = yn.shape[1]
    for r in range(m):
        for k in range(d):
            out[r, k] = 0.0
        for j in range(s):
            c = coef[r, j]
            for k in range(d):
                out[r, k] += c * yn[j, k]


def _negatives_dot(yn, v, out):  # pragma: no cover - compiled
    """out[r, j] = yn[j] . v[r]."""
    m, d = v.shape
    for r in range(m):
        for j in range(yn.shape[0]):
            acc = 0.0
            for k in range(d):
                acc += yn[j, k] * v[r, k]
            out[r, j] = acc


def _matvec(h, v, out):  # pragma: no cover - compiled
    """out[r] = h[r] @ v[r]."""
    m, d, _ = h.shape
    for r in range(m):
        for k in range(d):
            acc = 0.0
            for q in range(d):
                acc += h[r, k, q] * v[r, q]
            out[r, k] = acc


# row by row in a fixed order: a BLAS product's rounding can depend on how many rows it gets
_KERNELS = (_pair_exps, _pairs_grad, _pairs_curvature, _row_sums, _row_combine, _row_outer, _row_project,
            _times_negatives, _negatives_dot, _matvec)
try:
    import numba as _nb
    # serial: one cart's numbers never depend on threads, and BLAS / implicit own the cores
    # the loops may reorder a sum (SIMD), but only over one row's own entries, the negatives or
    # the factors: fixed for a given build, so a row's result still does not depend on the others
    _FAST = {"reassoc", "contract", "arcp"}
    _pair_exps = _nb.njit(cache=True, nogil=True)(_pair_exps)   # called from the kernels below
    _KERNELS = (_pair_exps,) + tuple(_nb.njit(cache=True, nogil=True, fastmath=_FAST)(k) for k in _KERNELS[1:])
except ImportError:  # pragma: no cover - numba is a dependency
    pass
(_, _pairs_grad_c, _pairs_curvature_c, _row_sums_c, _row_combine_c, _row_outer_c, _row_project_c,
 _times_negatives_c, _negatives_dot_c, _matvec_c) = _KERNELS


def _negatives_product(coef, yn):
    out = np.empty((coef.shape[0], yn.shape[1]))
    _times_negatives_c(np.ascontiguousarray(coef, dtype=np.float64), yn, out)
    return out


def _sum_rows(v, lengths):
    out = np.empty(v.shape[0])
    _row_sums_c(np.ascontiguousarray(v, dtype=np.float64), lengths, out)
    return out


def _combine(coef, yc, lengths):
    out = np.empty((yc.shape[0], yc.shape[2]))
    _row_combine_c(np.ascontiguousarray(coef, dtype=np.float64), yc, lengths, out)
    return out


def _project(yc, v):
    out = np.empty(yc.shape[:2])
    _row_project_c(yc, np.ascontiguousarray(v), out)
    return out


def _log1pexp(z: np.ndarray) -> np.ndarray:
    """softplus(z) = log(1 + e^z), without overflow."""
    return np.logaddexp(0.0, z)


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * z))


class _Block:
    """One block of rows: positives (m, L, D) with weights (m, L); negatives shared (S, D)."""

    def __init__(self, yc, bc, a, yn, bn, p, mu, g2, loss, lam, mass):
        self.yc, self.bc, self.a, self.bn, self.loss, self.lam = yc, bc, a, bn, loss, lam
        self.yn = np.ascontiguousarray(yn)
        m, _, d = yc.shape
        self.p = np.broadcast_to(p, (m, len(p)))
        self.mass = mass
        # every sum over a row's entries runs over its own entries in order (numba), so a row's
        # numbers do not depend on how long the other rows of its block are
        self.lengths = lengths = (a != 0).sum(axis=1).astype(np.int64)   # padding sits at the end
        outer = np.empty((m, d, d))
        _row_outer_c(np.ascontiguousarray(a), yc, lengths, outer)
        if loss == "pairwise":
            total = _sum_rows(a, lengths)
            ya = _combine(a, yc, lengths)
            bound = outer - ya[:, :, None] * mu[None, None, :] - mu[None, :, None] * ya[:, None, :] \
                + total[:, None, None] * g2
        else:
            bound = outer + mass[:, None, None] * g2
        bound = 0.25 * bound + lam * np.eye(d)
        if lam == 0.0:
            bound += 1e-9 * np.eye(d)
        self.h_inv = np.linalg.inv(bound)

    def mask_positives(self, slots: np.ndarray, valid: np.ndarray) -> None:
        p = np.array(self.p)
        rr, cc = np.nonzero(valid & (slots >= 0))
        p[rr, slots[rr, cc]] = 0.0
        self.p = p

    def solve(self, iterations: int) -> np.ndarray:
        return self._solve_pairwise(iterations) if self.loss == "pairwise" else self._solve_pointwise(iterations)

    def _newton_step(self, g):
        """The MM direction -H^-1 g, its effect on the scores, the slope g . step and lam |step|^2."""
        step = np.empty_like(g)
        _matvec_c(self.h_inv, np.ascontiguousarray(-g), step)
        uc = _project(self.yc, step)
        un = np.empty((len(step), len(self.yn)))
        _negatives_dot_c(self.yn, step, un)
        return step, uc, un, (g * step).sum(axis=1), self.lam * (step * step).sum(axis=1)

    @staticmethod
    def _newton_t(slope, curv):
        """1-D Newton step length on the line; >= 1 in exact arithmetic (H bounds the Hessian)."""
        t = np.where(curv > 0, -slope / np.where(curv > 0, curv, 1.0), 1.0)
        return np.clip(t, 1.0, 20.0)

    def _solve_pairwise(self, iterations: int) -> np.ndarray:
        """Per iteration one pass over the pairs for the gradient, one for the curvature along the
        step. The Newton length t is taken; where t > 1 and the slope at the new point is positive
        (the minimum on the line may lie before t = 1), the row takes the MM step (t = 1) instead,
        which never raises the loss. Otherwise the loss is convex and still falling at t, so it is
        below its value at the start."""
        m, length, d = self.yc.shape
        a, p, lengths = np.ascontiguousarray(self.a), np.ascontiguousarray(self.p), self.lengths
        x = np.zeros((m, d))
        sc, sn = self.bc.copy(), np.ascontiguousarray(np.broadcast_to(self.bn, p.shape))
        r_row, r_col, curv = np.zeros((m, length)), np.zeros(p.shape), np.zeros(m)

        def gradient(rows, x_, sc_, sn_):
            _pairs_grad_c(sc_, sn_, a, p, lengths, rows, r_row, r_col)
            if len(rows) == m:
                return -_combine(r_row, self.yc, lengths) + _negatives_product(r_col, self.yn) + self.lam * x_
            return (-_combine(r_row[rows], self.yc[rows], lengths[rows]) + _negatives_product(r_col[rows], self.yn)
                    + self.lam * x_[rows])

        everyone = np.arange(m)
        g = gradient(everyone, x, sc, sn)
        for _ in range(iterations):
            step, uc, un, slope, curv_reg = self._newton_step(g)
            _pairs_curvature_c(sc, sn, uc, un, a, p, lengths, curv)
            t = self._newton_t(slope, curv + curv_reg)[:, None]
            x_new, sc_new, sn_new = x + t * step, sc + t * uc, sn + t * un
            g_new = gradient(everyone, x_new, sc_new, sn_new)
            back = np.flatnonzero((t[:, 0] > 1.0) & ((g_new * step).sum(axis=1) > 0.0))
            if len(back):
                x_new[back], sc_new[back], sn_new[back] = x[back] + step[back], sc[back] + uc[back], sn[back] + un[back]
                g_new[back] = gradient(back, x_new, sc_new, sn_new)
            x, sc, sn, g = x_new, sc_new, sn_new, g_new
        return x

    def _solve_pointwise(self, iterations: int) -> np.ndarray:
        m, _, d = self.yc.shape
        a, w = self.a, self.mass[:, None] * self.p       # weights of positives / of negatives
        x = np.zeros((m, d))
        sc, sn = self.bc.copy(), np.broadcast_to(self.bn, self.p.shape).copy()

        lengths = self.lengths

        def loss(x_, sc_, sn_):
            return (_sum_rows(a * _log1pexp(-sc_), lengths) + (w * _log1pexp(sn_)).sum(axis=1)
                    + 0.5 * self.lam * (x_ * x_).sum(axis=1))

        for _ in range(iterations):
            pc, pn = _sigmoid(sc), _sigmoid(sn)
            g = -_combine(a * (1.0 - pc), self.yc, lengths) + _negatives_product(w * pn, self.yn) + self.lam * x
            step, uc, un, slope, curv_reg = self._newton_step(g)
            curv = _sum_rows(a * pc * (1.0 - pc) * uc * uc, lengths) + (w * pn * (1.0 - pn) * un * un).sum(axis=1)
            t = self._newton_t(slope, curv + curv_reg)[:, None]
            f1, ft = loss(x + step, sc + uc, sn + un), loss(x + t * step, sc + t * uc, sn + t * un)
            t = np.where((ft < f1)[:, None], t, 1.0)
            x = x + t * step
            sc, sn = sc + t * uc, sn + t * un
        return x
