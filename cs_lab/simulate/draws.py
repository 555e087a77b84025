"""Parameter bootstrap: B draws of the rates, each with one Poisson resample of customers.

Draw b takes accept_b(p) = examination_b(p) * take_b and the organic probabilities p_b(s, h) (the
organic model's coefficients drawn from their sampling distribution), recomputes every session's
outcomes under every arm with the same common random numbers, and weights customers by
w_b ~ Poisson(1) (all sessions of a customer share the weight). The percentiles over b of any
statistic (an arm's mean, a difference of arms) are intervals that include both the sampling
uncertainty of the sessions and the uncertainty of the rates.

Outputs (``DrawSummary``):
  arms     per (arm, metric): the point value (point rates, all sessions) and its interval
  pairs    per (metric, arm_a, arm_b): diff = b - a, interval, P(b beats a) = share of draws with
           b > a (ties count half)
  ranking  per metric: the point ranking and the share of draws in which the ranking is the same;
           per arm P(best)
  ab       the A/B comparison with the assigned arms (what a test of this size would see), arm vs
           control, intervals from the same draws
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp

from cs_lab._progress import bar
from cs_lab.simulate.acceptance import arm_positions
from cs_lab.simulate.sessions import SessionSet
from cs_lab.simulate.tactics import SessionTerms, line_discounts, session_money

DRAW_METRICS = {"incremental_conversion": "incremental_converted", "conversion": "converted",
                "offer_conversion": "offer_converted", "incremental_revenue": "incremental_revenue",
                "addon_revenue": "addon_revenue", "order_value": "order_value", "margin": "margin",
                "net_margin": "net_margin", "threshold_reached": "threshold_reached"}
BLOCK = 64


@dataclass
class DrawSummary:
    arms: pd.DataFrame
    pairs: pd.DataFrame
    ranking: pd.DataFrame
    ab: pd.DataFrame
    n_draws: int
    level: float


def _session_outcomes(sessions: SessionSet, pos: np.ndarray, acc: np.ndarray, org: np.ndarray,
                      u_offer: np.ndarray, u_organic: np.ndarray, S: sp.csr_matrix, metrics: list[str],
                      d_line: np.ndarray | None = None, resp: np.ndarray | None = None,
                      terms: SessionTerms | None = None, line_margin: np.ndarray | None = None
                      ) -> dict[str, np.ndarray]:
    """(n, b) per-session outcomes for one arm's offer positions under a block of b rate draws.
    acc: (b, K) accept probabilities; org: (m, b) organic probabilities; d_line (m,) the discount of
    each line's slot, resp (b,) the discount response draws; terms: the arm's threshold per session;
    line_margin (m,) the add-on margin per line (None: unknown)."""
    p_acc = np.vstack([np.zeros((1, acc.shape[0])), acc.T])          # (K + 1, b)
    p = p_acc[pos]                                                    # (m, b)
    discounted = d_line is not None and bool(d_line.any())
    if discounted:
        p = np.minimum(1.0, p * (1.0 + d_line[:, None] * resp[None, :]))
    else:
        d_line = np.zeros(len(pos))
    accepted = (pos > 0)[:, None] & (u_offer[:, None] < p)           # (m, b)
    organic = u_organic[:, None] < org
    inc = accepted & ~organic
    bought = accepted | organic
    money = None
    if {"addon_revenue", "order_value", "net_margin", "threshold_reached"} & set(metrics):
        money = session_money(lambda x: S @ x, sessions.line_value, line_margin, bought, accepted, d_line,
                              sessions.cart_value, terms)
    out = {}
    for m in metrics:
        if m == "incremental_conversion":
            out[m] = (S @ inc.astype(np.float32)) > 0
        elif m == "conversion":
            out[m] = (S @ bought.astype(np.float32)) > 0
        elif m == "offer_conversion":
            out[m] = (S @ accepted.astype(np.float32)) > 0
        elif m == "incremental_revenue":
            out[m] = S @ np.where(inc, (sessions.line_value * (1.0 - d_line))[:, None], 0.0)
        elif m in ("addon_revenue", "order_value", "net_margin", "threshold_reached"):
            out[m] = money[m]
        elif m == "margin":
            out[m] = S @ np.where(bought, (sessions.line_value - sessions.line_cost)[:, None], 0.0)
    return {k: np.asarray(v, dtype=np.float64) for k, v in out.items()}


def run_draws(sessions: SessionSet, codes: list, names: list[str], control: int, assigned: np.ndarray,
              clusters: np.ndarray, uniforms: tuple[np.ndarray, np.ndarray], accept_draws: np.ndarray,
              organic_draws, metrics: list[str], point: dict[str, np.ndarray], alpha: float, seed: int, *,
              tactics: list[dict] | None = None, response_draws: np.ndarray | None = None,
              margin_rate: float | None = None) -> DrawSummary:
    """accept_draws (B, K); organic_draws: (m, B) draws, (m,) fixed per line, or a scalar rate; point: metric -> (n_arms,)
    counterfactual means at the point rates; assigned: (n,) arm index of the A/B assignment;
    clusters: (n,) cluster (customer) code of each session; tactics: per arm its ``discounts`` /
    ``thresholds`` (``PreparedArms.tactics``); response_draws (B,) the discount response draws."""
    n, B, k = len(sessions), accept_draws.shape[0], len(names)
    u_offer, u_organic = uniforms
    S = sp.csr_matrix((np.ones(len(sessions.line_session), np.float32),
                       (sessions.line_session, np.arange(len(sessions.line_session)))), shape=(n, len(u_offer)))
    zeros = np.zeros(n, np.int64)
    pos = [arm_positions(sessions, zeros, [c])[0] for c in codes]
    tactics = tactics if tactics is not None else [{} for _ in codes]
    d_lines = [line_discounts(t["discounts"], zeros, sessions.line_session, pos[a]) if t.get("discounts") else None
               for a, t in enumerate(tactics)]
    terms = [SessionTerms.build(zeros, t["thresholds"]) if t.get("thresholds") else None for t in tactics]
    resp = np.zeros(B) if response_draws is None else np.asarray(response_draws, dtype=np.float64)
    if sessions.has_costs:
        lm = sessions.line_value - sessions.line_cost
    else:
        lm = None if margin_rate is None else margin_rate * sessions.line_value
    n_cl = int(clusters.max()) + 1 if n else 0
    rng = np.random.default_rng(np.random.SeedSequence([seed, 0xD7A5]))
    W = rng.poisson(1.0, (n_cl, B)).astype(np.float64)[clusters]     # (n, B) session weights
    cf = {m: np.empty((k, B)) for m in metrics}          # counterfactual means per arm and draw
    ab = {m: np.empty((k, B)) for m in metrics}          # A/B means (assigned sessions) per arm and draw
    onehot = sp.csr_matrix((np.ones(n), (assigned, np.arange(n))), shape=(k, n))
    progress = bar(-(-B // BLOCK), f"simulation draws ({B})", "block")
    for s in range(0, B, BLOCK):
        progress.update()
        e = min(B, s + BLOCK)
        nd = np.ndim(organic_draws)       # a rate, (m,) fixed per line, or (m, B) drawn per line
        org = (np.broadcast_to(np.reshape(organic_draws, (-1, 1) if nd == 1 else ()), (len(u_offer), e - s))
               if nd < 2 else organic_draws[:, s:e])
        w = W[:, s:e]
        tot = w.sum(axis=0)
        tot_arm = onehot @ w
        for a in range(k):
            out = _session_outcomes(sessions, pos[a], accept_draws[s:e], org, u_offer, u_organic, S, metrics,
                                    d_line=d_lines[a], resp=resp[s:e], terms=terms[a], line_margin=lm)
            mine = (assigned == a)[:, None]
            for m in metrics:
                y = out[m]
                with np.errstate(invalid="ignore", divide="ignore"):
                    cf[m][a, s:e] = (w * y).sum(axis=0) / tot
                    ab[m][a, s:e] = (np.where(mine, w * y, 0.0)).sum(axis=0) / tot_arm[a]
    progress.close()
    return summarise(cf, ab, names, control, point, alpha, B)


def _pct(x: np.ndarray, alpha: float) -> tuple[float, float]:
    x = x[np.isfinite(x)]
    if not len(x):
        return np.nan, np.nan
    lo, hi = np.quantile(x, [alpha / 2, 1 - alpha / 2])
    return float(lo), float(hi)


def summarise(cf: dict, ab: dict, names: list[str], control: int, point: dict, alpha: float, B: int
              ) -> DrawSummary:
    arm_rows, pair_rows, rank_rows, ab_rows = [], [], [], []
    k = len(names)
    for m, draws in cf.items():
        for a in range(k):
            lo, hi = _pct(draws[a], alpha)
            arm_rows.append({"metric": m, "arm": names[a], "value": float(point[m][a]), "ci_low": lo, "ci_high": hi})
        for a in range(k):
            for b in range(a + 1, k):
                d = draws[b] - draws[a]
                lo, hi = _pct(d, alpha)
                beats = float(np.mean((d > 0) + 0.5 * (d == 0)))
                pair_rows.append({"metric": m, "arm_a": names[a], "arm_b": names[b],
                                  "diff": float(point[m][b] - point[m][a]), "ci_low": lo, "ci_high": hi,
                                  "p_b_beats_a": beats})
        order = np.argsort(-point[m], kind="stable")
        ranks = np.argsort(-draws, axis=0, kind="stable")               # (k, B)
        same = float(np.mean((ranks == order[:, None]).all(axis=0)))
        best = np.bincount(ranks[0], minlength=k) / B
        text = names[order[0]]
        for prev, cur in zip(order[:-1], order[1:]):
            text += (" = " if point[m][cur] == point[m][prev] else " > ") + names[cur]
        rank_rows.append({"metric": m, "ranking": text, "same_ranking": same,
                          "ranking_changes": 1 - same,
                          "p_best": {names[i]: float(best[i]) for i in range(k)}})
        for a in range(k):
            if a == control:
                continue
            d = ab[m][a] - ab[m][control]
            lo, hi = _pct(d, alpha)
            # a relative lift needs a control mean above 0 in every draw (offer conversion under a
            # no-offer control is 0 by construction: no relative interval exists)
            rlo = rhi = float("nan")
            if np.all(ab[m][control] > 0):
                rlo, rhi = _pct(ab[m][a] / ab[m][control] - 1.0, alpha)
            ab_rows.append({"arm": names[a], "control": names[control], "metric": m, "ci_low": lo, "ci_high": hi,
                            "rel_ci_low": rlo, "rel_ci_high": rhi})
    return DrawSummary(pd.DataFrame(arm_rows), pd.DataFrame(pair_rows), pd.DataFrame(rank_rows),
                       pd.DataFrame(ab_rows), B, 1 - alpha)
