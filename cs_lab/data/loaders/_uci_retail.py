"""Shared reading and cleaning of the two UCI Online Retail datasets (same schema, renamed columns)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from cs_lab.data import schema as S
from cs_lab.data.cleaning import CleaningReport
from cs_lab.data.dataset import most_frequent_text
from cs_lab.data.io import read_tabular
from cs_lab.data.loaders.base import Cleaned
from cs_lab.errors import DataError

# The Online Retail (UCI 352) column names; Online Retail II is renamed to these.
COLUMNS = ["InvoiceNo", "StockCode", "Description", "Quantity", "InvoiceDate", "UnitPrice", "CustomerID", "Country"]
II_RENAME = {"Invoice": "InvoiceNo", "Price": "UnitPrice", "Customer ID": "CustomerID"}

CSV_TYPES = {"InvoiceNo": pa.string(), "StockCode": pa.string(), "Description": pa.string(),
             "Quantity": pa.float64(), "InvoiceDate": pa.timestamp("ns"), "UnitPrice": pa.float64(),
             "CustomerID": pa.string(), "Country": pa.string()}
II_CSV_TYPES = {{v: k for k, v in II_RENAME.items()}.get(k, k): t for k, t in CSV_TYPES.items()}

# Stock codes that are not merchandise: postage, fees, manual adjustments, samples, vouchers.
NON_PRODUCT_CODES = frozenset({
    "POST", "DOT", "M", "m", "C2", "D", "S", "B", "BANK CHARGES", "AMAZONFEE", "CRUK", "PADS",
    "ADJUST", "ADJUST2", "SP1002",
})
NON_PRODUCT_PREFIXES = ("gift_", "TEST")


def normalise(raw: pd.DataFrame, source: str) -> pd.DataFrame:
    """Coerce a raw frame (from CSV or xlsx) to the UCI columns with fixed dtypes."""
    raw = raw.rename(columns=II_RENAME)
    missing = [c for c in COLUMNS if c not in raw.columns]
    if missing:
        raise DataError(f"missing column(s) {missing}; have {list(raw.columns)}", file=source,
                        hint="is this the UCI Online Retail file?")
    out = pd.DataFrame(index=raw.index)
    for c in ("InvoiceNo", "StockCode", "Description", "Country"):
        out[c] = _as_str(raw[c])
    out["CustomerID"] = _id_str(raw["CustomerID"])
    out["Quantity"] = pd.to_numeric(raw["Quantity"], errors="raise").astype("float64")
    out["UnitPrice"] = pd.to_numeric(raw["UnitPrice"], errors="raise").astype("float64")
    out["InvoiceDate"] = pd.to_datetime(raw["InvoiceDate"]).astype("datetime64[ns]")
    return out


def _as_str(s: pd.Series) -> pd.Series:
    if isinstance(s.dtype, pd.StringDtype):
        return s
    # xlsx cells: numbers for numeric invoice numbers / codes; render integers without ".0"
    def fmt(v):
        if v is None or (isinstance(v, float) and np.isnan(v)) or v == "":
            return None
        if isinstance(v, float) and v.is_integer():
            return str(int(v))
        return str(v)
    return s.map(fmt).astype(S.STRING)


def _id_str(s: pd.Series) -> pd.Series:
    s = _as_str(s)
    return s.str.replace(r"\.0$", "", regex=True)


def read_file(path: Path, sheet: str | None = None) -> pd.DataFrame:
    """Read one UCI retail file (CSV as published in the data dir, or the original xlsx / zip)."""
    raw = read_tabular(path, column_types={**CSV_TYPES, **II_CSV_TYPES}, sheet=sheet)
    return normalise(raw, str(path))


def is_non_product(codes: pd.Series) -> pd.Series:
    codes = codes.astype(str)
    mask = codes.isin(NON_PRODUCT_CODES)
    for p in NON_PRODUCT_PREFIXES:
        mask |= codes.str.startswith(p)
    return mask


def clean(raw: pd.DataFrame, report: CleaningReport) -> Cleaned:
    df = raw
    df, _ = report.apply(df, "exact duplicate lines", df.duplicated(keep="first"),
                         "identical in every column; kept once")
    descriptions = most_frequent_text(df["StockCode"], df["Description"])
    cancelled = df["InvoiceNo"].str.startswith("C").fillna(False)
    df, ret_c = report.apply(df, "cancellation invoices ('C...')", cancelled, to_returns=True)
    df, ret_n = report.apply(df, "negative quantity", df["Quantity"] < 0,
                             "stock adjustments without a 'C' invoice", to_returns=True)
    df, _ = report.apply(df, "zero quantity", df["Quantity"] == 0)
    df, _ = report.apply(df, "non-product stock codes", is_non_product(df["StockCode"]),
                         "postage, fees, manual, samples, vouchers, bad-debt adjustments")
    df, _ = report.apply(df, "unit price <= 0", ~(df["UnitPrice"] > 0), "free samples and price errors")
    lines = _canonical(df)
    returns = pd.concat([_canonical(ret_c).assign(reason="cancellation"),
                         _canonical(ret_n).assign(reason="negative quantity")], ignore_index=True)
    returns[S.QUANTITY] = returns[S.QUANTITY].abs()
    returns[S.VALUE] = returns[S.VALUE].abs()
    return Cleaned(lines=lines, returns=returns, descriptions=descriptions)


def _canonical(df: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({
        S.CUSTOMER: df["CustomerID"].to_numpy(),
        S.BASKET: df["InvoiceNo"].to_numpy(),
        S.ITEM: df["StockCode"].to_numpy(),
        S.TIMESTAMP: df["InvoiceDate"].to_numpy(),
        S.QUANTITY: df["Quantity"].to_numpy(),
        S.UNIT_PRICE: df["UnitPrice"].to_numpy(),
        S.VALUE: (df["Quantity"] * df["UnitPrice"]).round(6).to_numpy(),
    })
