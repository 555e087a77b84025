"""Estimate a context-free evaluation policy's click rate from a logging policy's log, and check it
against the evaluation policy's own on-policy click rate (a real logged A/B test).

Inputs: ``behavior`` (the log to reweight, e.g. Open Bandit's Random log) and ``target`` (the
evaluation policy's own log, e.g. the BTS log). The evaluation policy pi_e(a, k) is estimated from
``target`` (policy.py); the click model is cross-fitted on ``behavior`` (reward_model.py). Then,
with w_t = min(pi_e(a_t, k_t) / pscore_t, clip) on the behavior rounds:

    IPS   mean_t w_t r_t                 SNIPS  sum_t w_t r_t / sum_t w_t
    DM    mean_t sum_a pi_e(a, k_t) q(x_t, a, k_t)
    DR    DM + mean_t w_t (r_t - q(x_t, a_t, k_t))

Intervals: percentile bootstrap (``n_boot`` replicates, seeded) that resamples the rounds of BOTH
logs, re-estimating pi_e from each resampled target log (so they include the noise of pi_e), and
draws each fold's click-model weights from their Laplace approximation N(theta, H^-1) (a parametric
bootstrap of the model instead of K refits per replicate, so DM and DR carry the model's noise).
The on-policy click rate of ``target`` gets a Wilson interval; the difference estimate - on-policy
uses the same joint replicates.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field

import numpy as np
from pydantic import BaseModel, ConfigDict, Field
from scipy import stats

from cs_lab.data.loaders.open_bandit import BanditLog
from cs_lab.errors import DataError
from cs_lab.simulate.ope.policy import PolicyEstimate, Support, action_distribution, support_check
from cs_lab.simulate.ope.reward_model import CrossFit, RewardModelConfig, build_design, cross_fit

ESTIMATORS = ("ips", "snips", "dm", "dr")
CI_METHOD = ("percentile bootstrap over the rounds of both logs (pi_e re-estimated per replicate), "
             "click-model weights drawn from their Laplace approximation")


class OpeConfig(BaseModel):
    """clip: cap on importance weights (None: no clipping); n_boot, seed, alpha: the bootstrap;
    policy_estimate: how pi_e is read from its log (policy.py); reward_model: the DM/DR click model."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    clip: float | None = Field(None, gt=0)
    n_boot: int = Field(1000, ge=50)
    seed: int = 0
    alpha: float = Field(0.05, gt=0, lt=1)
    policy_estimate: PolicyEstimate = "frequency"
    reward_model: RewardModelConfig = RewardModelConfig()


def wilson(clicks: float, n: int, alpha: float = 0.05) -> tuple[float, float]:
    """Wilson score interval of a binomial proportion."""
    if n <= 0:
        raise DataError("an empty log has no click rate")
    z = float(stats.norm.ppf(1 - alpha / 2))
    p = clicks / n
    den = 1 + z * z / n
    mid = (p + z * z / (2 * n)) / den
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / den
    return float(mid - half), float(mid + half)


@dataclass
class _Arrays:
    a: np.ndarray
    k: np.ndarray
    r: np.ndarray
    p: np.ndarray
    q: np.ndarray            # (n, A) out-of-fold q(x_t, a, k_t)
    q_logged: np.ndarray     # (n,)  q(x_t, a_t, k_t)
    by_slot: list[np.ndarray]  # round indices per slot


def _estimates(x: _Arrays, pi: np.ndarray, c: np.ndarray, clip: float | None,
               q: np.ndarray | None = None) -> tuple[dict[str, float], np.ndarray]:
    """The four estimates with round counts ``c`` (ones: the sample; multinomial: a bootstrap replicate)
    and click-model predictions ``q`` (default: the cross-fitted ones)."""
    n = c.sum()
    q = x.q if q is None else q
    q_logged = x.q_logged if q is x.q else q[np.arange(len(x.a)), x.a]
    w = pi[x.a, x.k] / x.p
    if clip is not None:
        w = np.minimum(w, clip)
    cw = c * w
    dm = sum(float(c[idx] @ q[idx] @ pi[:, k]) for k, idx in enumerate(x.by_slot)) / n
    swr = float(cw @ x.r)
    out = {"ips": swr / n, "snips": swr / cw.sum() if cw.sum() > 0 else float("nan"), "dm": dm,
           "dr": dm + float(cw @ (x.r - q_logged)) / n}
    return out, w


@dataclass
class OpeResult:
    campaign: str
    config: OpeConfig
    behavior: dict
    on_policy: dict
    estimates: list[dict]
    support: Support
    weights: dict
    reward_model: dict
    pi: np.ndarray = field(repr=False)

    def to_dict(self) -> dict:
        return {"campaign": self.campaign, "behavior_log": self.behavior, "on_policy": self.on_policy,
                "estimates": self.estimates, "support": self.support.to_dict(), "weights": self.weights,
                "reward_model": self.reward_model, "ci_method": CI_METHOD,
                "policy_estimate": self.config.policy_estimate, "config": self.config.model_dump(mode="json")}

    def summary(self) -> str:
        on = self.on_policy
        lvl = round(100 * (1 - self.config.alpha))
        lines = [f"Open Bandit '{self.campaign}': BTS click rate estimated from the Random log "
                 f"({self.behavior['n_rounds']:,} rounds, {self.behavior['clicks']} clicks) vs the BTS log's own "
                 f"({on['n_rounds']:,} rounds, {on['clicks']} clicks)",
                 f"{'':<10}{'CTR':>9}  {lvl}% interval           vs on-policy",
                 f"{'on-policy':<10}{on['ctr']:>9.5f}  [{on['ci_low']:.5f}, {on['ci_high']:.5f}]   (Wilson)"]
        for e in self.estimates:
            lines.append(f"{e['estimator'].upper():<10}{e['value']:>9.5f}  [{e['ci_low']:.5f}, {e['ci_high']:.5f}]"
                         f"   {e['relative_error']:+.0%}; {e['verdict']}")
        s = self.support
        lines.append(f"support: {'every' if s.ok else 'NOT every'} (item, slot) BTS uses appears in the Random log"
                     + ("" if s.ok else f" ({len(s.cells)} cells, {s.unsupported_mass:.2%} of BTS mass unsupported)"))
        wt = self.weights
        lines.append(f"weights: max {wt['max']:.1f}, effective sample size {wt['ess']:.0f} of "
                     f"{self.behavior['n_rounds']:,}" + (f", clipped at {wt['clip']} ({wt['share_clipped']:.1%} "
                                                       f"of rounds)" if wt["clip"] is not None else ""))
        rm = self.reward_model
        lines.append(f"click model (DM/DR): {rm['kind']}, {rm['n_folds']}-fold cross-fitted; out-of-fold log loss "
                     f"{rm['oof_log_loss']:.5f} vs {rm['constant_log_loss']:.5f} for a constant rate")
        lines.append(f"intervals: {CI_METHOD}, {self.config.n_boot} replicates, seed {self.config.seed}; "
                     f"pi_e = BTS's (item, slot) {self.config.policy_estimate} in its own log")
        half = (on["ci_high"] - on["ci_low"]) / 2 / on["ctr"] if on["ctr"] > 0 else float("inf")
        lines.append(f"With {on['clicks']} (BTS) and {self.behavior['clicks']} (Random) clicks the on-policy interval "
                     f"is ±{half:.0%} of its value" + (": the check can catch gross errors only." if half > 0.15
                                                       else "."))
        return "\n".join(lines)


def _verdict(e: dict, on: dict) -> str:
    overlap = e["ci_low"] <= on["ci_high"] and on["ci_low"] <= e["ci_high"]
    covers = e["diff_ci_low"] <= 0 <= e["diff_ci_high"]
    if overlap and covers:
        return "intervals overlap; the difference's interval contains 0"
    if overlap:
        return "intervals overlap, but the difference's interval excludes 0"
    return "intervals do NOT overlap"


def _arrays(behavior: BanditLog, cf: CrossFit) -> _Arrays:
    idx = np.arange(behavior.n_rounds)
    return _Arrays(behavior.action, behavior.position, behavior.reward, behavior.pscore, cf.q,
                   cf.q[idx, behavior.action], [np.flatnonzero(behavior.position == k)
                                                for k in range(behavior.len_list)])


def evaluate_policy(behavior: BanditLog, target: BanditLog, cfg: OpeConfig = OpeConfig(), *,
                    progress: bool = False) -> OpeResult:
    """IPS, SNIPS, DM, DR of ``target``'s policy from ``behavior``, beside ``target``'s on-policy CTR."""
    from tqdm.auto import tqdm

    if behavior.n_items != target.n_items or behavior.len_list != target.len_list:
        raise DataError(f"the logs have different action spaces: {behavior.n_items} vs {target.n_items} items, "
                        f"{behavior.len_list} vs {target.len_list} slots (same campaign needed)")
    A, L = behavior.n_items, behavior.len_list
    pi = action_distribution(target.action, target.position, A, L, cfg.policy_estimate, target.pscore)
    support = support_check(pi, behavior.action, behavior.position, behavior.pscore)
    design = build_design(behavior.user, behavior.item_context, behavior.position, behavior.affinity, L,
                          cfg.reward_model.item_onehot)
    cf = cross_fit(design, behavior.action, behavior.reward, cfg.reward_model, cfg.seed)
    x = _arrays(behavior, cf)
    n, m = behavior.n_rounds, target.n_rounds
    point, w = _estimates(x, pi, np.ones(n), cfg.clip)
    on_ctr = target.ctr

    rng = np.random.default_rng(cfg.seed)
    boot = np.empty((cfg.n_boot, len(ESTIMATORS)))
    boot_on = np.empty(cfg.n_boot)
    for b in tqdm(range(cfg.n_boot), desc="bootstrap", unit="rep", disable=not (progress and sys.stderr.isatty()),
                  file=sys.stderr):
        c = np.bincount(rng.integers(0, n, n), minlength=n).astype(np.float64)
        ct = np.bincount(rng.integers(0, m, m), minlength=m).astype(np.float64)
        pi_b = action_distribution(target.action, target.position, A, L, cfg.policy_estimate, target.pscore, ct)
        est, _ = _estimates(x, pi_b, c, cfg.clip, cf.draw_q(rng))
        boot[b] = [est[e] for e in ESTIMATORS]
        boot_on[b] = float(ct @ target.reward) / m

    lo_q, hi_q = 100 * cfg.alpha / 2, 100 * (1 - cfg.alpha / 2)
    on_lo, on_hi = wilson(target.clicks, m, cfg.alpha)
    on = {"ctr": on_ctr, "ci_low": on_lo, "ci_high": on_hi, "n_rounds": m, "clicks": target.clicks,
          "ci_method": "Wilson"}
    rows = []
    for j, name in enumerate(ESTIMATORS):
        col = boot[:, j]
        diff = col - boot_on
        e = {"estimator": name, "value": point[name], "ci_low": float(np.nanpercentile(col, lo_q)),
             "ci_high": float(np.nanpercentile(col, hi_q)), "se_boot": float(np.nanstd(col, ddof=1)),
             "diff": point[name] - on_ctr, "diff_ci_low": float(np.nanpercentile(diff, lo_q)),
             "diff_ci_high": float(np.nanpercentile(diff, hi_q)),
             "relative_error": (point[name] - on_ctr) / on_ctr if on_ctr > 0 else float("nan")}
        e["overlaps_on_policy"] = bool(e["ci_low"] <= on_hi and on_lo <= e["ci_high"])
        e["verdict"] = _verdict(e, on)
        rows.append(e)
    raw_w = pi[x.a, x.k] / x.p
    weights = {"max": float(w.max()), "mean": float(w.mean()), "ess": float(w.sum() ** 2 / (w @ w)),
               "clip": cfg.clip, "share_clipped": float((raw_w > cfg.clip).mean()) if cfg.clip else 0.0}
    rm = {"kind": "L2 logistic regression (user one-hots, item features" +
          (" + item id" if cfg.reward_model.item_onehot else "") + ", slot, user-item affinity)",
          "n_folds": cfg.reward_model.n_folds, "l2": cfg.reward_model.l2,
          **cf.diagnostics(behavior.action, behavior.reward)}
    beh = {"policy": behavior.policy, "n_rounds": n, "clicks": behavior.clicks, "ctr": behavior.ctr}
    return OpeResult(target.campaign, cfg, beh, on, rows, support, weights, rm, pi)
