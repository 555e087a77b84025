"""Side-feature matrices for LightFM, built from the training Interactions only.

Both are identity + one-hot feature blocks, each row normalised to sum to 1 (as
lightfm.data.Dataset does by default), CSR float32.

items:      identity | one code per category level (train.item_categories) | price band
customers:  identity | spend band | basket-count band | favourite top-level category

Bands are quantile bins computed on the training data; unknown values (NaN price, no category)
simply leave the feature out.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from cs_lab.data.interactions import Interactions


def quantile_bands(values: np.ndarray, n_bands: int) -> np.ndarray:
    """Band index 0..n_bands-1 per value by training quantiles; -1 for NaN (and all -1 if none)."""
    values = np.asarray(values, dtype=np.float64)
    out = np.full(len(values), -1, dtype=np.int64)
    ok = np.isfinite(values)
    if not ok.any() or n_bands < 1:
        return out
    edges = np.unique(np.quantile(values[ok], np.linspace(0, 1, n_bands + 1)[1:-1]))
    out[ok] = np.searchsorted(edges, values[ok], side="right")
    return out


def one_hot(codes: np.ndarray) -> sp.csr_matrix:
    """(n, max_code + 1) one-hot rows; negative codes give empty rows."""
    codes = np.asarray(codes, dtype=np.int64)
    ok = codes >= 0
    width = int(codes.max()) + 1 if ok.any() else 0
    return sp.csr_matrix((np.ones(int(ok.sum()), np.float32), (np.flatnonzero(ok), codes[ok])),
                         shape=(len(codes), width))


def normalise_rows(m: sp.csr_matrix) -> sp.csr_matrix:
    m = sp.csr_matrix(m, dtype=np.float32)
    sums = np.asarray(m.sum(axis=1)).ravel()
    sums[sums == 0] = 1.0
    return sp.csr_matrix(sp.diags(1.0 / sums).astype(np.float32) @ m, dtype=np.float32)


def item_features(train: Interactions, price_bands: int = 5) -> sp.csr_matrix:
    blocks = [sp.identity(train.n_items, dtype=np.float32, format="csr")]
    for level in sorted(train.item_categories):
        blocks.append(one_hot(train.item_categories[level]))
    blocks.append(one_hot(quantile_bands(train.item_price, price_bands)))
    return normalise_rows(sp.hstack(blocks, format="csr"))


def customer_features(train: Interactions, spend_bands: int = 4) -> sp.csr_matrix:
    ci = sp.csr_matrix(train.customer_items, dtype=np.float64)
    n = train.n_customers
    spend = ci @ np.nan_to_num(np.asarray(train.item_price, dtype=np.float64), nan=0.0)
    known = train.basket_customer[train.basket_customer >= 0]
    n_baskets = np.bincount(known, minlength=n).astype(np.float64)
    blocks = [sp.identity(n, dtype=np.float32, format="csr"),
              one_hot(quantile_bands(np.where(spend > 0, spend, np.nan), spend_bands)),
              one_hot(quantile_bands(np.where(n_baskets > 0, n_baskets, np.nan), spend_bands))]
    if train.item_categories:
        top = train.item_categories[sorted(train.item_categories)[0]]
        cat = one_hot(top)
        if cat.shape[1]:
            per_cat = np.asarray((ci @ cat).todense())
            fav = np.where(per_cat.sum(axis=1) > 0, per_cat.argmax(axis=1), -1)
            blocks.append(one_hot(fav))
    return normalise_rows(sp.hstack(blocks, format="csr"))
