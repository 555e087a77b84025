"""The bundle recommender: a cart is answered with the bundle that completes it.

    model = BundleRecommender(min_support=0.005, min_lift=2.0, discount=0.10)
    model.fit(train)                                # mine, price and guard the bundles
    ids, scores = model.recommend(queries, k=10)
    model.offers(queries, ids)                      # which leading slots are the bundle, its discount
    model.slot_discounts(ids)                       # (n, k) discount per slot, 0 off the bundle

The list: first the offered bundle's items not in the cart (the best-ranked bundle that overlaps
the cart and passes the price cap; its items by training popularity), then the missing items of
the other eligible bundles (bundle rank order), then (fallback) every other item by how often it
was bought with the cart's items and by popularity, so k slots are filled. Score bands keep the
three parts apart: offered 3 + s, other bundles 1 + r, fallback < 1 (s = 0.999 x item support,
r in (0, 1) by rank; fallback 0.999 (c + support) / (max c + 1), c = baskets shared with the cart).

Fitted state (npz): the bundles (indptr, items, support, lift), their list value, price and
margin after the discount, each item's line value and support.
"""

from __future__ import annotations

import logging
from typing import Literal

import numpy as np
import scipy.sparse as sp
from pydantic import Field

from cs_lab.data.interactions import Interactions
from cs_lab.data.queries import Queries
from cs_lab.errors import ConfigError, DataError
from cs_lab.models.base import Recommender, sparse_from_state, sparse_state
from cs_lab.models.bundle.mine import Bundles, mine_bundles
from cs_lab.models.bundle.offers import BundleOffers, BundleTable, binary, choose_bundles, offers_from_ids
from cs_lab.models.bundle.pricing import item_line_value, margin_ok, price_bundles
from cs_lab.models.config import ModelConfig
from cs_lab.models.registry import register

log = logging.getLogger(__name__)
AUTO = "auto"
BAND = 0.999


class BundleConfig(ModelConfig):
    """Config of the bundle recommender.

    min_support     bundles held together by at least this share of training baskets, in (0, 1]
    min_lift        bundles with lift >= this (support over the product of the items' supports)
    max_size        largest bundle (2 or 3 items)
    category_level  items of a bundle must come from pairwise different categories of this level:
                    "auto" = the coarsest level the data has (none: no constraint), a level name
                    (e.g. "category_2"; an error when the data lacks it), or null = off
    max_bundles     keep the best bundles by lift (memory / speed bound)
    discount        the bundle is sold at this fraction off the sum of its items' values
    margin_floor    bundles whose margin after the discount is below floor x bundle price are
                    dropped (0 = never below cost; null = off); needs item costs
    unknown_cost    a bundle with an item of unknown cost passes the floor ("allow") or not ("block")
    price_cap       the offered items' discounted price may be at most cap x the cart value
                    (price x typical quantity of the cart items); null = off
    fallback        how the slots after the bundles are filled: "cooccurrence" (items by the number
                    of training baskets they share with the cart's items, counting for each item only
                    its ``neighbours`` most frequent partners, then by popularity),
                    "popularity" (popular items), "none" (bundles only; lists may be short)
    """

    model: Literal["bundle"] = "bundle"
    min_support: float = Field(0.005, gt=0.0, le=1.0)
    min_lift: float = Field(1.5, ge=0.0)
    max_size: int = Field(3, ge=2, le=3)
    category_level: str | None = AUTO
    max_bundles: int = Field(5000, ge=1)
    discount: float = Field(0.10, ge=0.0, lt=1.0)
    margin_floor: float | None = Field(0.0, le=1.0)
    unknown_cost: Literal["allow", "block"] = "allow"
    price_cap: float | None = Field(1.0, gt=0.0)
    fallback: Literal["cooccurrence", "popularity", "none"] = "cooccurrence"
    neighbours: int = Field(100, ge=1)


@register
class BundleRecommender(Recommender):
    """Leading slots: the bundle that completes the cart; then other bundles; then popular items."""

    config_class = BundleConfig
    config: BundleConfig

    def _fit(self, train: Interactions) -> None:
        cfg = self.config
        category = self._category(train)
        mined = mine_bundles(train.basket_items, cfg.min_support, cfg.min_lift, cfg.max_size, category,
                             cfg.max_bundles)
        prices = price_bundles(mined, train.item_price, train.item_cost, train.item_quantity, cfg.discount)
        keep = margin_ok(prices, cfg.margin_floor, cfg.unknown_cost)
        self.n_mined_ = len(mined)
        self.bundles_ = mined.take(keep)
        self.bundle_value_, self.bundle_price_ = prices.value[keep], prices.price[keep]
        self.bundle_margin_ = prices.margin[keep]
        self.line_value_ = item_line_value(train.item_price, train.item_quantity)
        self.item_support_ = train.item_popularity().astype(np.float64) / max(train.n_baskets, 1)
        self.cooc_ = _cooccurrence(train.basket_items, cfg.neighbours) if cfg.fallback == "cooccurrence" else None
        log.info("bundle: %d bundles mined, %d kept after pricing and the margin floor",
                 self.n_mined_, len(self.bundles_))

    def _category(self, train: Interactions) -> np.ndarray | None:
        level = self.config.category_level
        if level is None:
            return None
        cats = train.item_categories
        if level == AUTO:
            return next((cats[k] for k in sorted(cats)), None)
        if level not in cats:
            raise DataError(f"model config bundle.category_level={level!r}: the training data has no such "
                            f"category level (it has {sorted(cats) or 'none'}); use 'auto' or null")
        return cats[level]

    # -- the bundle table ---------------------------------------------------------------------
    @property
    def table(self) -> BundleTable:
        self._check_fitted()
        return BundleTable(self.bundles_.matrix(self.n_items), self.bundle_value_, self.line_value_)

    @property
    def bundles(self) -> Bundles:
        self._check_fitted()
        return self.bundles_

    # -- scoring --------------------------------------------------------------------------------
    def _score(self, queries: Queries) -> np.ndarray:
        cfg = self.config
        n, n_items = len(queries), self.n_items
        support = BAND * np.minimum(self.item_support_, 1.0)
        if cfg.fallback == "popularity":
            scores = np.where(self.item_support_ > 0, support, -np.inf)[None, :].repeat(n, axis=0)
        elif cfg.fallback == "cooccurrence":
            c = (binary(queries.carts) @ self.cooc_).toarray()
            scores = BAND * (c + np.minimum(self.item_support_, 1.0)) / (c.max(axis=1, keepdims=True) + 1.0)
            scores[:, self.item_support_ <= 0] = -np.inf
        else:
            scores = np.full((n, n_items), -np.inf)
        if not len(self.bundles_):
            return scores
        table = self.table
        chosen, elig = choose_bundles(queries.carts, table, cfg.discount, cfg.price_cap, self._block_exclude(n))
        # other eligible bundles: their items at 1 + r, r by rank (the best bundle highest)
        e = elig.tocoo()
        rank = 1.0 + BAND * (1.0 - (e.col + 1) / (len(self.bundles_) + 1))
        m = table.matrix
        size = np.diff(m.indptr)[e.col]
        rows = np.repeat(e.row, size)
        items = m.indices[np.repeat(m.indptr[e.col], size) + _ranges(size)]
        vals = np.repeat(rank, size)
        flat = scores.reshape(-1)
        np.maximum.at(flat, rows.astype(np.int64) * n_items + items, vals)
        # the chosen bundle: 3 + s
        has = np.flatnonzero(chosen >= 0)
        c = chosen[has]
        size = np.diff(m.indptr)[c]
        rows = np.repeat(has, size)
        items = m.indices[np.repeat(m.indptr[c], size) + _ranges(size)]
        scores[rows, items] = 3.0 + support[items]
        return scores   # cart items are masked by the base class

    # -- offers ---------------------------------------------------------------------------------
    def recommend(self, queries: Queries, k: int, exclude: sp.spmatrix | None = None
                  ) -> tuple[np.ndarray, np.ndarray]:
        # excluded items are not candidates, so a bundle needing one is not offered: the base class
        # scores the queries block by block, in order, and _score takes each block's exclude rows
        self._exclude = None if exclude is None else [sp.csr_matrix(exclude), 0]
        try:
            ids, scores = super().recommend(queries, k, exclude)
        finally:
            self._exclude = None
        self._last = (ids.copy(), self.offers(queries, ids, exclude))
        return ids, scores

    def _block_exclude(self, n: int) -> sp.csr_matrix | None:
        state = getattr(self, "_exclude", None)
        if state is None:
            return None
        m, start = state
        state[1] = start + n
        return m[start:start + n]

    def offers(self, queries: Queries, ids: np.ndarray, exclude: sp.spmatrix | None = None) -> BundleOffers:
        """The bundle offered in each row of ``ids`` (this model's recommendations for ``queries``,
        made with ``exclude``): how many leading slots form it (0 = none), its discount, its bundle
        index and price."""
        self._check_fitted()
        ids = np.asarray(ids)
        if ids.ndim != 2 or ids.shape[0] != len(queries):
            raise DataError(f"ids has shape {ids.shape}; expected one row per query ({len(queries)})")
        if not len(self.bundles_):
            z = np.zeros(len(queries))
            return BundleOffers(z.astype(np.int64), z, np.full(len(queries), -1), np.full(len(queries), np.nan))
        table = self.table
        chosen, _ = choose_bundles(queries.carts, table, self.config.discount, self.config.price_cap, exclude)
        return offers_from_ids(binary(queries.carts), ids, table, chosen, self.config.discount)

    def slot_discounts(self, ids: np.ndarray, queries: Queries | None = None,
                       exclude: sp.spmatrix | None = None) -> np.ndarray:
        """(n, k) float: the discount fraction on each slot of the offered bundle, 0 elsewhere.

        With ``queries`` (the carts ``ids`` answer; ``exclude`` as given to ``recommend``) the offers
        are recomputed exactly. Without, ``ids``
        must be this model's latest ``recommend`` output (or its first columns): a row alone does not
        say which cart it answered, so other ids raise a ConfigError asking for ``queries``.
        """
        ids = np.asarray(ids)
        if queries is not None:
            return self.offers(queries, ids, exclude).slot_discounts(ids.shape[1])
        last = getattr(self, "_last", None)
        if last is None or last[0].shape[0] != ids.shape[0] or last[0].shape[1] < ids.shape[1] \
                or not np.array_equal(last[0][:, :ids.shape[1]], ids):
            raise ConfigError("bundle.slot_discounts(ids): these ids are not this model's latest recommendations; "
                              "pass queries= (the carts they answer) to recompute the offers")
        offers = last[1]
        if ids.shape[1] < last[0].shape[1]:   # a bundle cut by a shorter list is not offered
            cut = offers.size > ids.shape[1]
            offers = BundleOffers(np.where(cut, 0, offers.size), np.where(cut, 0.0, offers.discount),
                                  np.where(cut, -1, offers.bundle), np.where(cut, np.nan, offers.price))
        return offers.slot_discounts(ids.shape[1])

    # -- persistence ----------------------------------------------------------------------------
    def _state(self) -> dict[str, np.ndarray]:
        b = self.bundles_
        return {"indptr": b.indptr, "items": b.items, "support": b.support, "lift": b.lift,
                "value": self.bundle_value_, "price": self.bundle_price_, "margin": self.bundle_margin_,
                "line_value": self.line_value_, "item_support": self.item_support_,
                "n_mined": np.asarray(self.n_mined_),
                **(sparse_state("cooc", self.cooc_) if self.cooc_ is not None else {})}

    def _set_state(self, arrays: dict[str, np.ndarray]) -> None:
        self.bundles_ = Bundles(arrays["indptr"], arrays["items"], arrays["support"], arrays["lift"])
        self.bundle_value_, self.bundle_price_ = arrays["value"], arrays["price"]
        self.bundle_margin_ = arrays["margin"]
        self.line_value_, self.item_support_ = arrays["line_value"], arrays["item_support"]
        self.n_mined_ = int(arrays["n_mined"])
        self.cooc_ = sparse_from_state("cooc", arrays) if "cooc.data" in arrays else None


def _cooccurrence(basket_items: sp.spmatrix, neighbours: int) -> sp.csr_matrix:
    """(n_items, n_items) CSR, float32: row i holds the training baskets shared by item i and each of
    its ``neighbours`` most frequent partners (ties: lower item index); the diagonal is dropped."""
    b = binary(basket_items).astype(np.float32)
    c = (b.T @ b).tocsr()
    c.setdiag(0)
    c.eliminate_zeros()
    c.sort_indices()
    counts = np.diff(c.indptr)
    if counts.max(initial=0) <= neighbours:
        return c
    row = np.repeat(np.arange(c.shape[0]), counts)
    order = np.lexsort((c.indices, -c.data, row))            # by row, count desc, item asc
    rank = np.arange(len(order)) - np.repeat(c.indptr[:-1], counts)
    keep = np.sort(order[rank < neighbours])
    return sp.csr_matrix((c.data[keep], c.indices[keep], np.r_[0, np.cumsum(np.minimum(counts, neighbours))]),
                         shape=c.shape)


def _ranges(size: np.ndarray) -> np.ndarray:
    """concatenate(arange(s) for s in size)."""
    size = np.asarray(size, dtype=np.int64)
    if not len(size):
        return np.zeros(0, dtype=np.int64)
    starts = np.cumsum(size) - size
    return np.arange(int(size.sum())) - np.repeat(starts, size)
