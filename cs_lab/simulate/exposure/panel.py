"""The (product, store, week) panel of in-store display and mailer exposure and purchases.

``promotions`` lists only promoted cells: a product-store-week appears when the product was on an
in-store display (``display_location`` != "0") or in the weekly mailer (``mailer_location`` != "0").
A product-store pair's other weeks are therefore its unpromoted weeks. The panel is every week of
every pair promoted at least once in the chosen stores (pairs never promoted carry no information
on the effect once the pair's own mean is removed).

Outcome: of the panel households that shopped the store that week (``shoppers``), the share that
bought the product there (``buyers / shoppers``). Weighted by ``shoppers`` the cell-level linear
model equals the household-level one: the probability that a household shopping the store that
week buys the product. Cells whose store had no panel shopper that week carry no weight and are
dropped.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from cs_lab.errors import DataError

PROMO_COLUMNS = ["product_id", "store_id", "display_location", "mailer_location", "week"]
TX_COLUMNS = ["household_id", "store_id", "product_id", "week"]


@dataclass(frozen=True)
class Panel:
    """One row per (pair, week) cell with a positive weight."""

    pair: np.ndarray       # int32 code of the (product, store) pair
    product: np.ndarray    # int32 code of the product (cluster)
    store_week: np.ndarray  # int32 code of (store, week)
    week: np.ndarray       # int16, 1-based
    display: np.ndarray    # bool: on an in-store display that week
    mailer: np.ndarray     # bool: in the weekly mailer that week
    buyers: np.ndarray     # int32: panel households that bought the product in the store that week
    shoppers: np.ndarray   # int32: panel households with a basket in the store that week (the weight)
    stores: tuple[int, ...]
    n_pairs: int
    # next week's flags for the same pair (False in the last week): the placebo check of ``display.py``
    display_next: np.ndarray | None = None
    mailer_next: np.ndarray | None = None

    @property
    def y(self) -> np.ndarray:
        return self.buyers / self.shoppers

    def __len__(self) -> int:
        return len(self.pair)


def busiest_stores(promotions: pd.DataFrame, transactions: pd.DataFrame, n: int) -> tuple[int, ...]:
    """The ``n`` stores of ``promotions`` with the most panel household-weeks (ties: lower store id)."""
    promo_stores = pd.unique(promotions["store_id"])
    hw = (transactions.loc[transactions["store_id"].isin(promo_stores), ["household_id", "store_id", "week"]]
          .drop_duplicates().groupby("store_id").size().rename("hh_weeks").reset_index())
    hw = hw.sort_values(["hh_weeks", "store_id"], ascending=[False, True])
    return tuple(int(s) for s in hw["store_id"].head(n))


def _check(df: pd.DataFrame, cols: list[str], what: str) -> None:
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise DataError(f"{what} lacks column(s) {missing}; expected {cols}")


def build_panel(promotions: pd.DataFrame, transactions: pd.DataFrame, stores: tuple[int, ...],
                n_weeks: int = 53) -> Panel:
    """The panel over ``stores`` and weeks 1..``n_weeks``."""
    _check(promotions, PROMO_COLUMNS, "promotions")
    _check(transactions, TX_COLUMNS, "transactions")
    for name, df in (("promotions", promotions), ("transactions", transactions)):
        bad = ~df["week"].between(1, n_weeks)
        if bad.any():
            raise DataError(f"{name}: week {int(df['week'][bad].iloc[0])} at row {int(np.flatnonzero(bad)[0])} "
                            f"outside 1..{n_weeks}")
    promo = promotions.loc[promotions["store_id"].isin(stores), PROMO_COLUMNS]
    if promo.empty:
        raise DataError(f"promotions has no row in stores {stores}")
    flags = pd.DataFrame({
        "product_id": promo["product_id"].to_numpy(), "store_id": promo["store_id"].to_numpy(),
        "week": promo["week"].to_numpy(),
        "display": (promo["display_location"].astype(str) != "0").to_numpy(),
        "mailer": (promo["mailer_location"].astype(str) != "0").to_numpy()})
    # A cell listed twice (two display locations, say) is promoted when any listing says so.
    flags = flags.groupby(["product_id", "store_id", "week"], sort=False, as_index=False)[["display", "mailer"]].max()
    pairs = flags[["product_id", "store_id"]].drop_duplicates().sort_values(["product_id", "store_id"],
                                                                          ignore_index=True)
    pairs["pair"] = np.arange(len(pairs), dtype=np.int64)
    n_pairs = len(pairs)
    flags = flags.merge(pairs, on=["product_id", "store_id"], how="left", validate="many_to_one")
    cell = flags["pair"].to_numpy() * n_weeks + flags["week"].to_numpy() - 1
    display = np.zeros(n_pairs * n_weeks, dtype=bool)
    mailer = np.zeros(n_pairs * n_weeks, dtype=bool)
    display[cell] = flags["display"].to_numpy()
    mailer[cell] = flags["mailer"].to_numpy()

    tx = transactions.loc[transactions["store_id"].isin(stores), TX_COLUMNS]
    store_code = {s: i for i, s in enumerate(sorted(stores))}
    visits = tx[["household_id", "store_id", "week"]].drop_duplicates()
    sw = visits["store_id"].map(store_code).to_numpy() * n_weeks + visits["week"].to_numpy() - 1
    shoppers_sw = np.bincount(sw, minlength=len(stores) * n_weeks)
    bought = (tx.drop_duplicates().groupby(["product_id", "store_id", "week"], sort=False).size()
              .rename("buyers").reset_index()
              .merge(pairs, on=["product_id", "store_id"], how="inner", validate="many_to_one"))
    buyers = np.zeros(n_pairs * n_weeks, dtype=np.int32)
    buyers[bought["pair"].to_numpy() * n_weeks + bought["week"].to_numpy() - 1] = bought["buyers"].to_numpy()

    pair = np.repeat(np.arange(n_pairs, dtype=np.int32), n_weeks)
    week0 = np.tile(np.arange(n_weeks, dtype=np.int32), n_pairs)
    pair_store = pairs["store_id"].map(store_code).to_numpy().astype(np.int32)
    store_week = pair_store[pair] * n_weeks + week0
    shoppers = shoppers_sw[store_week].astype(np.int32)
    keep = shoppers > 0
    if not keep.any():
        raise DataError(f"no panel household shopped stores {stores} in weeks 1..{n_weeks}")
    product = pd.factorize(pairs["product_id"], sort=True)[0].astype(np.int32)
    last = week0 == n_weeks - 1
    display_next = np.append(display[1:], False) & ~last
    mailer_next = np.append(mailer[1:], False) & ~last
    return Panel(pair=pair[keep], product=product[pair[keep]], store_week=store_week[keep],
                 week=(week0[keep] + 1).astype(np.int16), display=display[keep], mailer=mailer[keep],
                 buyers=buyers[keep], shoppers=shoppers[keep], stores=tuple(sorted(stores)), n_pairs=n_pairs,
                 display_next=display_next[keep], mailer_next=mailer_next[keep])
