"""The canonical Dataset: purchase lines, catalog, returns, and provenance."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from cs_lab.data import schema as S
from cs_lab.data.cleaning import CleaningReport


@dataclass
class Dataset:
    """One prepared dataset in canonical form.

    lines    purchase lines (see cs_lab.data.schema for columns and dtypes)
    catalog  one row per item in ``lines``
    returns  returned or cancelled lines (may be empty)
    name     dataset name; ``source_sha256`` the checksums of the raw files it came from
    """

    name: str
    lines: pd.DataFrame
    catalog: pd.DataFrame
    returns: pd.DataFrame
    report: CleaningReport = field(default_factory=CleaningReport)
    source_sha256: dict[str, str] = field(default_factory=dict)
    cleaning_version: str = "1"

    @property
    def has_customers(self) -> bool:
        return bool(self.lines[S.CUSTOMER].notna().any())

    @property
    def has_timestamps(self) -> bool:
        return bool(self.lines[S.TIMESTAMP].notna().any())

    def basket_sizes(self) -> pd.Series:
        """Distinct items per basket."""
        return self.lines.groupby(S.BASKET, observed=True, sort=False)[S.ITEM].nunique()


def build_catalog(lines: pd.DataFrame, descriptions: pd.Series | None = None) -> pd.DataFrame:
    """Per-item catalog from canonical lines: categories (most frequent), price and cost stats.

    ``descriptions`` maps item_id -> description (index item_id) when the source has them.
    """
    g = lines.groupby(S.ITEM, observed=True, sort=True)
    cat = pd.DataFrame(index=g.size().index)
    cat[S.N_LINES] = g.size().astype("int64")
    price = lines[S.UNIT_PRICE]
    pg = price.groupby(lines[S.ITEM], observed=True, sort=True)
    cat[S.PRICE_MEDIAN] = pg.median()
    cat[S.PRICE_MEAN] = pg.mean()
    cat[S.PRICE_MIN] = pg.min()
    cat[S.PRICE_MAX] = pg.max()
    if S.UNIT_COST in lines.columns:
        cat[S.COST_MEDIAN] = lines[S.UNIT_COST].groupby(lines[S.ITEM], observed=True, sort=True).median()
    else:
        cat[S.COST_MEDIAN] = np.nan
    for c in S.category_columns(lines):
        # the most frequent category per item (an item can be re-filed over time)
        pair = lines[[S.ITEM, c]].dropna()
        top = pair.groupby([S.ITEM, c], observed=True).size().reset_index(name="n")
        top = top.sort_values([S.ITEM, "n", c], ascending=[True, False, True]).drop_duplicates(S.ITEM)
        cat[c] = top.set_index(S.ITEM)[c]
    if descriptions is not None:
        cat[S.DESCRIPTION] = descriptions.reindex(cat.index)
    else:
        cat[S.DESCRIPTION] = pd.NA
    cat = cat.reset_index().rename(columns={"index": S.ITEM})
    cols = [c for c in S.CATALOG_COLUMNS if c in cat.columns]
    out = cat[cols]
    return out.astype({c: S.CATALOG_DTYPES[c] for c in cols})


def most_frequent_text(keys: pd.Series, text: pd.Series) -> pd.Series:
    """The most frequent non-empty ``text`` per key (ties broken alphabetically)."""
    df = pd.DataFrame({"k": keys.values, "t": text.values}).dropna()
    df = df[df["t"].astype(str).str.strip() != ""]
    n = df.groupby(["k", "t"], observed=True).size().reset_index(name="n")
    n = n.sort_values(["k", "n", "t"], ascending=[True, False, True]).drop_duplicates("k")
    return n.set_index("k")["t"]
