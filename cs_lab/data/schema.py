"""Column names and dtypes of the canonical tables (one place, as constants).

lines   : one row per purchase line (see docs/data.md)
catalog : one row per item
returns : one row per returned / cancelled line
"""

from __future__ import annotations

import pandas as pd

from cs_lab.errors import DataError

# -- lines -------------------------------------------------------------------
CUSTOMER = "customer_id"   # string, <NA> for anonymous baskets
BASKET = "basket_id"       # string, unique per basket within a dataset
ITEM = "item_id"           # string
TIMESTAMP = "timestamp"    # datetime64[ns], naive local time; NaT when the source has none
QUANTITY = "quantity"      # float64, > 0
UNIT_PRICE = "unit_price"  # float64, > 0, NaN when the source has no prices
VALUE = "value"            # float64, line value paid = quantity * unit_price (NaN without prices)
UNIT_COST = "unit_cost"    # optional float64, cost of one unit
STORE = "store_id"         # optional string
DISCOUNT = "discount"      # optional float64, total discount on the line (>= 0)
CATEGORY_LEVELS = ("category_1", "category_2", "category_3")  # optional strings, coarse -> fine

REQUIRED_LINE_COLUMNS = (CUSTOMER, BASKET, ITEM, TIMESTAMP, QUANTITY, UNIT_PRICE, VALUE)
OPTIONAL_LINE_COLUMNS = (*CATEGORY_LEVELS, UNIT_COST, STORE, DISCOUNT)

STRING = pd.StringDtype("pyarrow")

LINE_DTYPES: dict[str, object] = {
    CUSTOMER: STRING,
    BASKET: STRING,
    ITEM: STRING,
    TIMESTAMP: "datetime64[ns]",
    QUANTITY: "float64",
    UNIT_PRICE: "float64",
    VALUE: "float64",
    UNIT_COST: "float64",
    STORE: STRING,
    DISCOUNT: "float64",
    **{c: STRING for c in CATEGORY_LEVELS},
}

# -- catalog -----------------------------------------------------------------
DESCRIPTION = "description"
PRICE_MEDIAN = "price_median"
PRICE_MEAN = "price_mean"
PRICE_MIN = "price_min"
PRICE_MAX = "price_max"
COST_MEDIAN = "cost_median"
N_LINES = "n_lines"
CATALOG_COLUMNS = (ITEM, DESCRIPTION, *CATEGORY_LEVELS, PRICE_MEDIAN, PRICE_MEAN, PRICE_MIN,
                   PRICE_MAX, COST_MEDIAN, N_LINES)
CATALOG_DTYPES: dict[str, object] = {
    ITEM: STRING, DESCRIPTION: STRING, **{c: STRING for c in CATEGORY_LEVELS},
    PRICE_MEDIAN: "float64", PRICE_MEAN: "float64", PRICE_MIN: "float64", PRICE_MAX: "float64",
    COST_MEDIAN: "float64", N_LINES: "int64",
}

# -- returns -----------------------------------------------------------------
RETURN_REASON = "reason"
RETURN_COLUMNS = (CUSTOMER, BASKET, ITEM, TIMESTAMP, QUANTITY, UNIT_PRICE, VALUE, RETURN_REASON)


def conform(df: pd.DataFrame, dtypes: dict[str, object], required: tuple[str, ...],
            optional: tuple[str, ...] = (), *, source: str = "<table>") -> pd.DataFrame:
    """Return ``df`` with exactly the canonical columns, in canonical order and dtypes.

    Raises DataError naming the missing column or the column that cannot be cast.
    """
    missing = [c for c in required if c not in df.columns]
    if missing:
        raise DataError(f"missing required column(s) {missing}; have {list(df.columns)}",
                        file=source, hint="map them in the column mapping")
    cols = list(required) + [c for c in optional if c in df.columns]
    df = df.reset_index(drop=True)
    out = {}
    for c in cols:
        try:
            out[c] = df[c].astype(dtypes[c]) if str(df[c].dtype) != str(dtypes[c]) else df[c]
        except (TypeError, ValueError) as exc:
            raise DataError(f"cannot convert to {dtypes[c]}: {exc}", file=source, column=c) from exc
    return pd.DataFrame(out, index=pd.RangeIndex(len(df)))


def conform_lines(df: pd.DataFrame, source: str = "<lines>") -> pd.DataFrame:
    return conform(df, LINE_DTYPES, REQUIRED_LINE_COLUMNS, OPTIONAL_LINE_COLUMNS, source=source)


def conform_returns(df: pd.DataFrame, source: str = "<returns>") -> pd.DataFrame:
    dt = {**LINE_DTYPES, RETURN_REASON: STRING}
    return conform(df, dt, RETURN_COLUMNS, (), source=source)


def empty_returns() -> pd.DataFrame:
    return conform_returns(pd.DataFrame({c: pd.Series([], dtype="object") for c in RETURN_COLUMNS}))


def category_columns(lines: pd.DataFrame) -> list[str]:
    return [c for c in CATEGORY_LEVELS if c in lines.columns]
