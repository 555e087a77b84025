"""Which bundle a cart is offered: the best-ranked bundle that overlaps the cart, still has items
to add, and passes the price cap.

    choice = choose_bundles(carts, table, price_cap)     # (n,) bundle index, -1 = none
    offers = offers_from_ids(carts, ids, table, choice, discount)

The offered items are the chosen bundle's items not in the cart; the model puts them in the
leading slots. ``BundleOffers`` is what evaluation and simulation read: per query the number of
leading slots that form the offered bundle (0 = no bundle offered) and its discount.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

CHUNK = 1 << 22   # at most this many (query, bundle) cells in one dense block


@dataclass(frozen=True)
class BundleTable:
    """The fitted bundles as the offer logic needs them."""

    matrix: sp.csr_matrix       # (n_bundles, n_items), rank order
    value: np.ndarray           # (n_bundles,) list value (sum of price x typical quantity)
    line_value: np.ndarray      # (n_items,) price x typical quantity, NaN unknown

    @property
    def sizes(self) -> np.ndarray:
        return np.diff(self.matrix.indptr)


@dataclass(frozen=True)
class BundleOffers:
    """Per query: ``size`` leading slots form the offered bundle (0 = none), sold at ``discount``
    (a fraction, 0 where there is no offer); ``bundle`` is its index in the model's bundle table
    (-1 = none) and ``price`` the offered items' price after the discount (NaN = none)."""

    size: np.ndarray
    discount: np.ndarray
    bundle: np.ndarray
    price: np.ndarray

    def slot_discounts(self, k: int) -> np.ndarray:
        """(n, k) float: the discount on the slots of the offered bundle, 0 elsewhere."""
        slots = np.arange(k)[None, :] < self.size[:, None]
        return np.where(slots, self.discount[:, None], 0.0)


def binary(carts: sp.spmatrix) -> sp.csr_matrix:
    c = sp.csr_matrix(carts, dtype=np.float64, copy=True)
    c.data[:] = 1.0
    c.eliminate_zeros()
    return c


def eligible_bundles(carts: sp.csr_matrix, table: BundleTable, discount: float,
                     price_cap: float | None, exclude: sp.spmatrix | None = None) -> np.ndarray:
    """(n, n_bundles) bool: the bundle overlaps the cart, has an item to add, none of the items to
    add is excluded (``exclude``, same shape as the carts), and (with a cap) the added items'
    discounted price is at most price_cap x the cart value."""
    x = binary(carts)
    b = table.matrix
    overlap = (x @ b.T).toarray()
    ok = (overlap >= 1) & (overlap < table.sizes[None, :])
    if exclude is not None:
        ex = binary(exclude)
        ex = (ex - ex.multiply(x)).tocsr()     # an excluded item already in the cart blocks nothing
        ex.eliminate_zeros()
        ok &= (ex @ b.T).toarray() == 0
    if price_cap is not None:
        lv = np.nan_to_num(table.line_value, nan=0.0)
        in_cart_value = (x @ b.multiply(lv[None, :]).tocsr().T).toarray()
        added_price = (1.0 - discount) * (table.value[None, :] - in_cart_value)
        cart_value = np.asarray(x @ lv).ravel()
        priced = np.asarray(x @ np.isfinite(table.line_value).astype(np.float64)).ravel() > 0
        within = added_price <= price_cap * cart_value[:, None] + 1e-9
        ok &= within | ~priced[:, None]
    return ok


def choose_bundles(carts: sp.spmatrix, table: BundleTable, discount: float, price_cap: float | None,
                   exclude: sp.spmatrix | None = None) -> tuple[np.ndarray, sp.csr_matrix]:
    """The chosen bundle per query (-1 = none) and the sparse (n, n_bundles) eligibility."""
    carts = sp.csr_matrix(carts)
    exclude = None if exclude is None else sp.csr_matrix(exclude)
    n, n_b = carts.shape[0], table.matrix.shape[0]
    chosen = np.full(n, -1, dtype=np.int64)
    parts = []
    step = max(1, CHUNK // max(n_b, 1))
    for a in range(0, n, step):
        ok = eligible_bundles(carts[a:a + step], table, discount, price_cap,
                              None if exclude is None else exclude[a:a + step])
        any_ok = ok.any(axis=1)
        chosen[a:a + step] = np.where(any_ok, ok.argmax(axis=1), -1)   # bundles are in rank order
        parts.append(sp.csr_matrix(ok))
    elig = sp.vstack(parts).tocsr() if parts else sp.csr_matrix((0, n_b), dtype=bool)
    return chosen, elig


def offered_items(carts: sp.spmatrix, table: BundleTable, chosen: np.ndarray) -> list[np.ndarray]:
    """Per query, the chosen bundle's items not in the cart (empty when none was chosen)."""
    carts = sp.csr_matrix(carts)
    b = table.matrix
    out = []
    for q, c in enumerate(chosen.tolist()):
        if c < 0:
            out.append(np.zeros(0, dtype=np.int64))
            continue
        items = b.indices[b.indptr[c]:b.indptr[c + 1]]
        cart = carts.indices[carts.indptr[q]:carts.indptr[q + 1]]
        out.append(np.setdiff1d(items, cart).astype(np.int64))
    return out


def offers_from_ids(carts: sp.spmatrix, ids: np.ndarray, table: BundleTable, chosen: np.ndarray,
                    discount: float) -> BundleOffers:
    """The offers behind recommendation rows ``ids``: a chosen bundle counts as offered only when
    all its missing items fill the row's leading slots (an exclusion or a short k can break it)."""
    n = len(chosen)
    size = np.zeros(n, dtype=np.int64)
    price = np.full(n, np.nan)
    lv = table.line_value
    for q, items in enumerate(offered_items(carts, table, chosen)):
        m = len(items)
        if m and m <= ids.shape[1] and set(ids[q, :m].tolist()) == set(items.tolist()):
            size[q] = m
            price[q] = (1.0 - discount) * float(np.sum(lv[items]))
    offered = size > 0
    return BundleOffers(size=size, discount=np.where(offered, discount, 0.0),
                        bundle=np.where(offered, chosen, -1), price=price)
