"""A synthetic (product, store, week) panel with a planted treatment effect and confounding."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class SynthPanel:
    y: np.ndarray
    d: np.ndarray
    pair: np.ndarray
    store_week: np.ndarray
    product: np.ndarray
    w: np.ndarray
    beta: float


def make_panel(seed: int, n_products: int = 80, n_stores: int = 4, n_weeks: int = 12, beta: float = 0.05,
               product_shock_sd: float = 0.05, drop: float = 0.2, weighted: bool = False,
               effect_slope: float = 0.0) -> SynthPanel:
    """Outcome = pair level + store-week level + beta * d + product-week shock + noise.

    Confounding: pairs with a high level and store-weeks with high traffic are treated more often, so
    a pooled regression of y on d overstates beta. The product-week shock is shared by the product's
    stores, and so are its chain-wide promotion weeks: errors and treatment both correlate within
    product (clustering matters). ``effect_slope`` > 0 makes the
    effect grow with the pair's level (heterogeneous effects). ``drop`` removes cells at
    random (an unbalanced panel, where one demeaning sweep is not enough).
    """
    rng = np.random.default_rng(seed)
    n_pairs = n_products * n_stores
    pair = np.repeat(np.arange(n_pairs), n_weeks)
    product = pair // n_stores
    store = pair % n_stores
    week = np.tile(np.arange(n_weeks), n_pairs)
    store_week = store * n_weeks + week
    alpha = rng.normal(0.3, 0.1, n_pairs)
    gamma = rng.normal(0.0, 0.05, n_stores * n_weeks)
    shock = rng.normal(0.0, product_shock_sd, n_products * n_weeks)
    chain = rng.random(n_products * n_weeks) < 0.2   # chain-wide promotion weeks of a product
    logit = -2.5 + 12.0 * (alpha[pair] - 0.3) + 15.0 * gamma[store_week] + 3.0 * chain[product * n_weeks + week]
    d = (rng.random(len(pair)) < 1 / (1 + np.exp(-logit))).astype(float)
    effect = beta + effect_slope * (alpha[pair] - 0.3)   # heterogeneous: larger for high-level pairs
    y = alpha[pair] + gamma[store_week] + effect * d + shock[product * n_weeks + week] + rng.normal(0, 0.05, len(pair))
    keep = rng.random(len(pair)) >= drop
    w = rng.integers(1, 6, len(pair)).astype(float) if weighted else np.ones(len(pair))
    return SynthPanel(y=y[keep], d=d[keep], pair=pair[keep], store_week=store_week[keep], product=product[keep],
                      w=w[keep], beta=beta)
