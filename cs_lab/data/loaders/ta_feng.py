"""Ta Feng grocery (Taiwan), November 2000 to February 2001, the merged "all months" CSV.

A basket is one customer's purchases on one day (the data has no basket id).
SALES_PRICE is the line's sales value and ASSET its cost, so unit price and
unit cost are those divided by AMOUNT; margin is known.
"""

from __future__ import annotations

import pandas as pd
import pyarrow as pa

from cs_lab.data import schema as S
from cs_lab.data.cleaning import CleaningReport
from cs_lab.data.io import read_tabular
from cs_lab.data.loaders.base import Cleaned, Loader, Source
from cs_lab.data.sources import RawFile, check_rows
from cs_lab.errors import DataError

RAW_ROWS = 817_741
FILES = (
    RawFile("ta_feng_all_months_merged.csv.gz", "csv.gz",
            "114f7683b53b07f417c90a3980fef623c61e47ffc29ed920af423fae978070a6", None, RAW_ROWS),
    RawFile("ta_feng_all_months_merged.csv", "csv",
            "1d575e5d0b7207d7706d22ca56c7535886fff8175ca5537a310333a4ab7a7b67", None, RAW_ROWS),
    RawFile("ta-feng-grocery-dataset.zip", "zip", None, None, RAW_ROWS,
            how="(Kaggle 'Ta Feng Grocery Dataset' zip; Kaggle needs a login, so download it by hand)"),
)
TYPES = {c: pa.string() for c in ("TRANSACTION_DT", "CUSTOMER_ID", "AGE_GROUP", "PIN_CODE",
                                  "PRODUCT_SUBCLASS", "PRODUCT_ID")}
TYPES |= {c: pa.float64() for c in ("AMOUNT", "ASSET", "SALES_PRICE")}


class TaFeng(Loader):
    name = "ta_feng"
    description = "Ta Feng supermarket, 2000-11 to 2001-02, with cost and sales price (margin)"
    cleaning_version = "1"
    sources = (Source("main", "ta_feng", FILES),)

    def read(self, files):
        rf, path = files["main"]
        raw = read_tabular(path, column_types=TYPES)
        raw.columns = [c.lstrip("\ufeff") for c in raw.columns]
        missing = [c for c in TYPES if c not in raw.columns]
        if missing:
            raise DataError(f"missing column(s) {missing}", file=str(path), hint="is this the Ta Feng merged CSV?")
        check_rows(rf, path, len(raw))
        return raw

    def clean(self, raw: pd.DataFrame, report: CleaningReport) -> Cleaned:
        df, _ = report.apply(raw, "exact duplicate lines", raw.duplicated())
        df, _ = report.apply(df, "amount <= 0", ~(df["AMOUNT"] > 0))
        df, _ = report.apply(df, "sales price <= 0", ~(df["SALES_PRICE"] > 0))
        ts = pd.to_datetime(df["TRANSACTION_DT"], format="%m/%d/%Y").astype("datetime64[ns]")
        cust = df["CUSTOMER_ID"].str.strip()
        lines = pd.DataFrame({
            S.CUSTOMER: cust.to_numpy(),
            S.BASKET: (cust + "_" + ts.dt.strftime("%Y%m%d")).to_numpy(),
            S.ITEM: df["PRODUCT_ID"].to_numpy(),
            S.TIMESTAMP: ts.to_numpy(),
            S.QUANTITY: df["AMOUNT"].to_numpy(),
            S.UNIT_PRICE: (df["SALES_PRICE"] / df["AMOUNT"]).to_numpy(),
            S.VALUE: df["SALES_PRICE"].to_numpy(),
            S.UNIT_COST: (df["ASSET"] / df["AMOUNT"]).to_numpy(),
            "category_1": df["PRODUCT_SUBCLASS"].str[:3].to_numpy(),
            "category_2": df["PRODUCT_SUBCLASS"].to_numpy(),
        })
        return Cleaned(lines=lines)
