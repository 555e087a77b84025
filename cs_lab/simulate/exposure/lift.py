"""From an absorbed regression coefficient to a lift: absolute (the coefficient) and relative
(treated mean over its counterfactual), with a delta-method standard error.

For a 0/1 treatment ``d`` with coefficient ``beta``, the treated cells' weighted mean outcome is
``mu = sum(w d y) / sum(w d)`` and their counterfactual mean is ``mu - beta``; the relative lift is
``ratio = mu / (mu - beta)``. ``mu`` and ``beta`` are both sums over clusters, so their joint
covariance comes from the same per-cluster influence (CR1); the ratio's variance is
``grad' V grad`` with ``grad = (d ratio/d beta, d ratio/d mu) = (mu, -beta) / (mu - beta)^2``.
The interval of the ratio is taken on the log scale (``ratio * exp(+-z se/ratio)``), the shape the
lognormal prior draws from.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

from cs_lab.errors import ConfigError
from cs_lab.simulate.exposure.fixed_effects import FEResult, cluster_influence, cr1


@dataclass(frozen=True)
class Lift:
    name: str
    absolute: float          # beta: change in the outcome (a probability)
    absolute_se: float
    treated_mean: float      # mu: weighted mean outcome of the treated cells
    baseline: float          # mu - beta: their counterfactual mean
    ratio: float             # mu / (mu - beta)
    ratio_se: float          # delta method
    n_treated: int           # treated cells
    n_clusters: int

    def absolute_ci(self, alpha: float = 0.05) -> tuple[float, float]:
        z = stats.norm.ppf(1 - alpha / 2)
        return self.absolute - z * self.absolute_se, self.absolute + z * self.absolute_se

    def ratio_ci(self, alpha: float = 0.05) -> tuple[float, float]:
        z = stats.norm.ppf(1 - alpha / 2)
        s = self.ratio_se / self.ratio
        return self.ratio * float(np.exp(-z * s)), self.ratio * float(np.exp(z * s))


def relative_lift(fit: FEResult, name: str, treated: np.ndarray, y: np.ndarray, cluster: np.ndarray,
                  weights: np.ndarray | None = None) -> Lift:
    """The lift of regressor ``name`` (a 0/1 column) of ``fit``; ``treated``, ``y``, ``cluster`` and
    ``weights`` are the rows ``fit`` was estimated on, in the same order."""
    j = fit.names.index(name)
    d = np.asarray(treated, dtype=bool)
    w = np.ones(len(d)) if weights is None else np.asarray(weights, dtype=np.float64)
    wd = w * d
    total = wd.sum()
    if total <= 0:
        raise ConfigError(f"relative_lift: no treated rows (with positive weight) for {name!r}")
    mu = float((wd * y).sum() / total)
    infl_mu, g = cluster_influence((wd * (y - mu) / total)[:, None], cluster)
    if g != fit.n_clusters:
        raise ConfigError(f"relative_lift: {g} clusters here, {fit.n_clusters} in the fit; pass the fit's rows")
    joint = np.column_stack([fit.influence[:, j], infl_mu[:, 0]])
    v = cr1(joint)
    beta = float(fit.beta[j])
    base = mu - beta
    if base <= 0:
        raise ConfigError(f"relative_lift: counterfactual mean of {name!r} is {base:.3g} <= 0; "
                          "the ratio is undefined (the linear model overshoots)")
    grad = np.array([mu, -beta]) / base ** 2
    return Lift(name=name, absolute=beta, absolute_se=float(np.sqrt(v[0, 0])), treated_mean=mu,
                baseline=base, ratio=mu / base, ratio_se=float(np.sqrt(grad @ v @ grad)),
                n_treated=int(d.sum()), n_clusters=g)
