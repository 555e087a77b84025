"""Power analysis for two-arm tests: sample size per arm for a minimum detectable effect (MDE),
and the MDE for a given sample size.

Proportions (conversion), method="normal" (default; R's ``power.prop.test`` for equal arms):
    power = Phi( (|p2 - p1| - z_{1-a/2} * se0) / se1 ),
    se0 = sqrt(pbar (1 - pbar) (1/n1 + 1/n2)), pbar = (n1 p1 + n2 p2) / (n1 + n2)   (under H0)
    se1 = sqrt(p1 (1 - p1) / n1 + p2 (1 - p2) / n2)                                  (under H1)
  method="arcsine": Cohen's h = 2 asin(sqrt p2) - 2 asin(sqrt p1),
    n1 = ((z_{1-a/2} + z_{power}) / h)^2 (1 + 1/ratio)    (statsmodels NormalIndPower)
Means (revenue, order value), method="z": n1 = ((z_{1-a/2} + z_{power}) sd / delta)^2 (1 + 1/ratio);
  method="t": the noncentral-t power of the two-sample t-test (R ``power.t.test``,
  statsmodels TTestIndPower), solved numerically.

n1 is the control arm's size, n2 = ratio * n1. An MDE is absolute unless ``relative=True``, in
which case it is a fraction of the control's rate / mean (0.05 = +5 %). Two-sided tests; the
far tail's tiny contribution to power is ignored by "normal"/"z" and included by "arcsine"/"t".
Sample sizes are returned unrounded: round up.
"""

from __future__ import annotations

import math
from typing import Literal

import numpy as np
import pandas as pd
from scipy import optimize, stats

from cs_lab.errors import ConfigError


def _check(alpha: float, power: float, ratio: float) -> None:
    if not 0 < alpha < 1:
        raise ConfigError(f"alpha must be in (0, 1), got {alpha}")
    if not 0 < power < 1:
        raise ConfigError(f"power must be in (0, 1), got {power}")
    if not ratio > 0:
        raise ConfigError(f"ratio (n_treatment / n_control) must be > 0, got {ratio}")


def _p2(p1: float, mde: float, relative: bool) -> float:
    if not 0 < p1 < 1:
        raise ConfigError(f"baseline rate must be in (0, 1), got {p1}")
    p2 = p1 * (1 + mde) if relative else p1 + mde
    if not 0 < p2 < 1 or p2 == p1:
        raise ConfigError(f"MDE {mde} {'relative' if relative else 'absolute'} moves the rate {p1} to {p2}; "
                          "it must stay in (0, 1) and differ from the baseline")
    return p2


def power_proportions(p1: float, p2: float, n1: float, *, alpha: float = 0.05, ratio: float = 1.0,
                      method: Literal["normal", "arcsine"] = "normal") -> float:
    """Power of the two-sided two-proportion test with n1 control and ratio * n1 treatment sessions."""
    n2 = ratio * n1
    z = stats.norm.ppf(1 - alpha / 2)
    if method == "arcsine":
        h = abs(2 * math.asin(math.sqrt(p2)) - 2 * math.asin(math.sqrt(p1)))
        scale = h / math.sqrt(1 / n1 + 1 / n2)
        return float(stats.norm.sf(z - scale) + stats.norm.cdf(-z - scale))
    if method != "normal":
        raise ConfigError(f"method must be 'normal' or 'arcsine', got {method!r}")
    pbar = (n1 * p1 + n2 * p2) / (n1 + n2)
    se0 = math.sqrt(pbar * (1 - pbar) * (1 / n1 + 1 / n2))
    se1 = math.sqrt(p1 * (1 - p1) / n1 + p2 * (1 - p2) / n2)
    return float(stats.norm.cdf((abs(p2 - p1) - z * se0) / se1))


def power_means(delta: float, sd: float, n1: float, *, alpha: float = 0.05, ratio: float = 1.0,
                method: Literal["z", "t"] = "z") -> float:
    """Power of the two-sided two-sample test of means (common sd) for a true difference delta."""
    n2 = ratio * n1
    scale = abs(delta) / (sd * math.sqrt(1 / n1 + 1 / n2))
    if method == "z":
        return float(stats.norm.sf(stats.norm.ppf(1 - alpha / 2) - scale))
    if method != "t":
        raise ConfigError(f"method must be 'z' or 't', got {method!r}")
    df = n1 + n2 - 2
    crit = stats.t.ppf(1 - alpha / 2, df)
    return float(stats.nct.sf(crit, df, scale) + stats.nct.cdf(-crit, df, scale))


def _solve_n(power_of_n, power: float, lo: float = 2.0) -> float:
    hi = 4.0
    while power_of_n(hi) < power:
        hi *= 2
        if hi > 1e13:
            raise ConfigError("the effect is too small to reach that power with any realistic sample")
    return float(optimize.brentq(lambda n: power_of_n(n) - power, lo, hi, xtol=1e-8, rtol=1e-12))


def sample_size_proportions(p_control: float, mde: float, *, relative: bool = True, alpha: float = 0.05,
                            power: float = 0.8, ratio: float = 1.0,
                            method: Literal["normal", "arcsine"] = "normal", design_effect: float = 1.0) -> float:
    """Control-arm sessions needed to detect ``mde`` on a conversion rate ``p_control``; with clustered
    randomisation (e.g. by customer) pass ``design_effect`` = 1 + (m_bar - 1) ICC: sessions scale by it."""
    if not design_effect >= 1.0:
        raise ConfigError(f"design_effect must be >= 1, got {design_effect}")
    return design_effect * _sample_size_proportions(p_control, mde, relative=relative, alpha=alpha, power=power,
                                                    ratio=ratio, method=method)


def _sample_size_proportions(p_control: float, mde: float, *, relative: bool, alpha: float, power: float,
                             ratio: float, method: str) -> float:
    _check(alpha, power, ratio)
    p2 = _p2(p_control, mde, relative)
    if method == "arcsine":
        h = abs(2 * math.asin(math.sqrt(p2)) - 2 * math.asin(math.sqrt(p_control)))
        n0 = ((stats.norm.ppf(1 - alpha / 2) + stats.norm.ppf(power)) / h) ** 2 * (1 + 1 / ratio)
        return _solve_n(lambda n: power_proportions(p_control, p2, n, alpha=alpha, ratio=ratio,
                                                    method="arcsine"), power, lo=max(1.0, 0.5 * n0))
    return _solve_n(lambda n: power_proportions(p_control, p2, n, alpha=alpha, ratio=ratio), power, lo=1.0)


def sample_size_means(sd: float, mde: float, *, baseline_mean: float | None = None, relative: bool = False,
                      alpha: float = 0.05, power: float = 0.8, ratio: float = 1.0,
                      method: Literal["z", "t"] = "z") -> float:
    """Control-arm sessions needed to detect a difference ``mde`` in a mean with standard deviation
    ``sd`` (relative=True: mde is a fraction of ``baseline_mean``)."""
    _check(alpha, power, ratio)
    delta = _delta(mde, relative, baseline_mean)
    if not sd > 0:
        raise ConfigError(f"sd must be > 0, got {sd}")
    n_z = ((stats.norm.ppf(1 - alpha / 2) + stats.norm.ppf(power)) * sd / delta) ** 2 * (1 + 1 / ratio)
    if method == "z":
        return float(n_z)
    return _solve_n(lambda n: power_means(delta, sd, n, alpha=alpha, ratio=ratio, method="t"), power,
                    lo=max(1.0 + 1e-9, 0.5 * n_z) if ratio >= 1 else 1.0 / ratio + 1e-9)


def _delta(mde: float, relative: bool, baseline_mean: float | None) -> float:
    if relative:
        if baseline_mean is None or baseline_mean == 0:
            raise ConfigError("a relative MDE needs a non-zero baseline_mean")
        delta = abs(mde * baseline_mean)
    else:
        delta = abs(mde)
    if delta == 0:
        raise ConfigError("MDE must be non-zero")
    return delta


def mde_proportions(p_control: float, n_control: float, *, relative: bool = True, alpha: float = 0.05,
                    power: float = 0.8, ratio: float = 1.0, method: Literal["normal", "arcsine"] = "normal"
                    ) -> float:
    """Smallest upward change in the rate detectable with ``n_control`` (and ratio * n_control)
    sessions: absolute (p2 - p1) or relative ((p2 - p1) / p1)."""
    _check(alpha, power, ratio)
    if not 0 < p_control < 1:
        raise ConfigError(f"baseline rate must be in (0, 1), got {p_control}")

    def gap(d: float) -> float:
        return power_proportions(p_control, p_control + d, n_control, alpha=alpha, ratio=ratio,
                                 method=method) - power

    hi = 1 - p_control - 1e-12
    if gap(hi) < 0:
        raise ConfigError(f"{n_control} sessions per arm cannot reach power {power} for any increase")
    d = float(optimize.brentq(gap, 1e-12, hi, xtol=1e-14, rtol=1e-12))
    return d / p_control if relative else d


def mde_means(sd: float, n_control: float, *, baseline_mean: float | None = None, relative: bool = False,
              alpha: float = 0.05, power: float = 0.8, ratio: float = 1.0, method: Literal["z", "t"] = "z"
              ) -> float:
    """Smallest difference in means detectable with ``n_control`` (and ratio * n_control) sessions."""
    _check(alpha, power, ratio)
    se = sd * math.sqrt(1 / n_control + 1 / (ratio * n_control))
    d = (stats.norm.ppf(1 - alpha / 2) + stats.norm.ppf(power)) * se
    if method == "t":
        def gap(x: float) -> float:
            return power_means(x, sd, n_control, alpha=alpha, ratio=ratio, method="t") - power

        hi = d
        while gap(hi) < 0:
            hi *= 1.25
        d = float(optimize.brentq(gap, 0.5 * d, hi, xtol=1e-12 * sd, rtol=1e-12))
    if relative:
        if baseline_mean is None or baseline_mean == 0:
            raise ConfigError("a relative MDE needs a non-zero baseline_mean")
        return float(d / abs(baseline_mean))
    return float(d)


def power_table(p_control: float, mdes, *, powers=(0.8, 0.9), alpha: float = 0.05, ratio: float = 1.0,
                method: Literal["normal", "arcsine"] = "normal"):
    """DataFrame (mde, power, n_control, n_total) of conversion sample sizes over relative MDEs."""
    import pandas as pd

    rows = []
    for pw in powers:
        for m in np.asarray(mdes, dtype=np.float64):
            n = sample_size_proportions(p_control, float(m), relative=True, alpha=alpha, power=pw,
                                        ratio=ratio, method=method)
            rows.append({"mde": float(m), "power": pw, "n_control": math.ceil(n),
                         "n_total": math.ceil(n) + math.ceil(ratio * n)})
    return pd.DataFrame(rows)


def icc_anova(y: np.ndarray, clusters: np.ndarray) -> float:
    """Intraclass correlation of ``y`` within ``clusters`` (one-way ANOVA estimator, unbalanced sizes):
    rho = (MSB - MSW) / (MSB + (m0 - 1) MSW), m0 = (N - sum n_g^2 / N) / (G - 1); clipped to [0, 1]."""
    y = np.asarray(y, dtype=np.float64)
    inv = pd.factorize(np.asarray(clusters, dtype=object))[0]
    ng = np.bincount(inv).astype(np.float64)
    g, n = len(ng), float(len(y))
    if g < 2 or n <= g:
        return 0.0
    means = np.bincount(inv, weights=y) / ng
    msb = float((ng * (means - y.mean()) ** 2).sum()) / (g - 1)
    msw = float(((y - means[inv]) ** 2).sum()) / (n - g)
    m0 = (n - float((ng ** 2).sum()) / n) / (g - 1)
    denom = msb + (m0 - 1) * msw
    return float(np.clip((msb - msw) / denom, 0.0, 1.0)) if denom > 0 else 0.0


def design_effect(y: np.ndarray, clusters: np.ndarray) -> tuple[float, float, float]:
    """(deff, mean cluster size m_bar, ICC rho) with deff = 1 + (m_bar - 1) rho: how many times more
    sessions a customer-randomised test needs than a session-randomised one (Kish)."""
    sizes = np.bincount(pd.factorize(np.asarray(clusters, dtype=object))[0])
    m_bar = float(sizes.mean()) if len(sizes) else 1.0
    rho = icc_anova(y, clusters)
    return 1.0 + (m_bar - 1.0) * rho, m_bar, rho
