"""Slot examination curve from a uniform-random log: examination(k) / examination(1).

Under the position-based click model P(click | x, a, k) = e(k) · attract(x, a), a logging policy
that puts a uniformly random item in every slot independently of the user makes E[attract] the same
in every slot, so CTR(k) / CTR(1) = e(k) / e(1). Estimated from click and round counts per slot;
standard error of log ratio by the delta method, sqrt((1 - p_k)/clicks_k + (1 - p_1)/clicks_1), and
the 95% interval exp(log ratio ± 1.96 se) (a lognormal for the ratio). Pooled = counts summed over
campaigns (each campaign's slots hold about a third of its rounds, so pooling does not confound
slot with campaign).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from scipy import stats

from cs_lab.data.loaders.open_bandit import BanditLog
from cs_lab.errors import DataError
from cs_lab.simulate.priors import Prior, save_priors
from cs_lab.simulate.priors.schema import DATA_DIR

PRIORS_FILE = DATA_DIR / "open_bandit.json"
IDENTIFIES = ("Identifies: the relative attention (examination) users give to slots 2 and 3 of the 3-slot "
              "ZOZOTOWN fashion recommendation widget, relative to slot 1, under a position-based click model "
              "(click = examination(slot) x attractiveness). Does not identify: attention on another layout, "
              "in particular a retail cross-sell carousel at checkout (transport is an assumption), slots beyond "
              "3, or interactions between the item shown and the slot.")


def slot_counts(log: BanditLog) -> tuple[np.ndarray, np.ndarray]:
    """(rounds per slot, clicks per slot)."""
    n = np.bincount(log.position, minlength=log.len_list).astype(np.float64)
    c = np.bincount(log.position, weights=log.reward, minlength=log.len_list)
    return n, c


def _check_uniform(log: BanditLog) -> None:
    if log.policy != "random" or not np.allclose(log.pscore, 1.0 / log.n_items):
        raise DataError(f"the slot examination curve needs a uniform-random log (pscore = 1/{log.n_items}); "
                        f"got the {log.policy!r} log of {log.campaign!r}")


def examination_ratios(rounds: np.ndarray, clicks: np.ndarray, alpha: float = 0.05) -> list[dict]:
    """Per slot k >= 2: ratio CTR(k)/CTR(1), se of its log, interval, and the counts."""
    if (clicks <= 0).any():
        raise DataError(f"a slot has no click (clicks per slot {clicks.tolist()}): the ratio is undefined")
    z = float(stats.norm.ppf(1 - alpha / 2))
    ctr = clicks / rounds
    out = []
    for k in range(1, len(rounds)):
        ratio = float(ctr[k] / ctr[0])
        se_log = float(np.sqrt((1 - ctr[k]) / clicks[k] + (1 - ctr[0]) / clicks[0]))
        out.append({"slot": k + 1, "ratio": ratio, "se_log": se_log, "ci_low": ratio * np.exp(-z * se_log),
                    "ci_high": ratio * np.exp(z * se_log), "rounds": int(rounds[0] + rounds[k]),
                    "clicks": int(clicks[0] + clicks[k]), "ctr": float(ctr[k]), "ctr_slot1": float(ctr[0])})
    return out


def examination_table(logs: list[BanditLog], alpha: float = 0.05) -> dict[str, list[dict]]:
    """Ratios per campaign and pooled over the given Random logs."""
    tot_n, tot_c, out = 0.0, 0.0, {}
    for log in logs:
        _check_uniform(log)
        n, c = slot_counts(log)
        out[log.campaign] = examination_ratios(n, c, alpha)
        tot_n, tot_c = tot_n + n, tot_c + c
    out["pooled"] = examination_ratios(np.asarray(tot_n), np.asarray(tot_c), alpha)
    return out


def examination_priors(logs: list[BanditLog]) -> list[Prior]:
    """``slot_examination.1`` (1.0 by definition) and ``.2``, ``.3`` (lognormal) from the pooled ratios."""
    pooled = examination_table(logs)["pooled"]
    campaigns = ", ".join(log.campaign for log in logs)
    n_total = int(sum(log.n_rounds for log in logs))
    source = (f"Open Bandit Dataset sample (obp 0.4.1; ZOZOTOWN, Saito et al. 2021), Random-policy logs of "
              f"campaigns {campaigns}: CTR(slot k) / CTR(slot 1) from clicks and rounds per slot summed over "
              f"campaigns; delta-method se of the log ratio")
    priors = [Prior(name="slot_examination.1", value=1.0, se=0.0, ci_low=1.0, ci_high=1.0, distribution="fixed",
                    source=source, n=n_total, identifies=IDENTIFIES,
                    note="the reference slot: 1.0 by definition (the curve is relative to slot 1)")]
    for row in pooled:
        r = row["ratio"]
        priors.append(Prior(name=f"slot_examination.{row['slot']}", value=r, se=r * row["se_log"],
                            ci_low=row["ci_low"], ci_high=row["ci_high"], distribution="lognormal", source=source,
                            n=row["rounds"], identifies=IDENTIFIES,
                            note=f"95% interval exp(log ratio ± 1.96 se_log), se_log = {row['se_log']:.4f}; "
                                 f"{row['clicks']} clicks in slots 1 and {row['slot']}; n = rounds in those slots"))
    return priors


def write_examination_priors(logs: list[BanditLog], path: Path | str = PRIORS_FILE) -> tuple[Path, list[Prior]]:
    priors = examination_priors(logs)
    return save_priors(priors, path), priors
