"""Bring your own data: a CSV or Parquet file plus a YAML column mapping -> the canonical tables.

Example mapping (docs/data.md has the full reference)::

    name: my_shop
    file: transactions.csv          # relative to the YAML file
    columns:                        # canonical name: your column
      customer_id: CustomerID
      basket_id: InvoiceNo
      item_id: StockCode
      timestamp: InvoiceDate
      quantity: Quantity
      unit_price: UnitPrice
      category_1: Department        # optional: category_1..3, unit_cost, store_id, discount, description
    duplicates: error               # error | drop | keep
    nonpositive_prices: error       # error | drop
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from cs_lab.data import cache, schema as S
from cs_lab.data.cleaning import CleaningReport
from cs_lab.data.dataset import Dataset, build_catalog, most_frequent_text
from cs_lab.data.io import read_tabular
from cs_lab.data.sources import sha256_of
from cs_lab.errors import ConfigError, DataError

CLEANING_VERSION = "1"
MAPPABLE = (S.CUSTOMER, S.BASKET, S.ITEM, S.TIMESTAMP, S.QUANTITY, S.UNIT_PRICE, S.VALUE,
            S.UNIT_COST, S.STORE, S.DISCOUNT, *S.CATEGORY_LEVELS, S.DESCRIPTION)


class ColumnMap(BaseModel):
    model_config = ConfigDict(extra="forbid")
    customer_id: str | None = None
    basket_id: str
    item_id: str
    timestamp: str | None = None
    quantity: str | None = None
    unit_price: str | None = None
    value: str | None = None
    unit_cost: str | None = None
    store_id: str | None = None
    discount: str | None = None
    category_1: str | None = None
    category_2: str | None = None
    category_3: str | None = None
    description: str | None = None


class CustomSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    file: str
    columns: ColumnMap
    encoding: str = "utf-8"
    sheet: str | None = None
    timestamp_format: str | None = None
    duplicates: Literal["error", "drop", "keep"] = "error"
    nonpositive_prices: Literal["error", "drop"] = "error"


def read_spec(path: str | Path) -> tuple[CustomSpec, Path]:
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"{path}: no such column-mapping file")
    try:
        raw = yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from exc
    try:
        spec = CustomSpec.model_validate(raw or {})
    except ValidationError as exc:
        msg = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise ConfigError(f"{path}: {msg}") from None
    data = Path(spec.file)
    return spec, (data if data.is_absolute() else path.parent / data)


def load_custom(mapping: str | Path, *, force: bool = False, use_cache: bool = True,
                cache_root: Path | None = None, **_: object) -> Dataset:
    spec, data_path = read_spec(mapping)
    if not data_path.is_file():
        raise DataError("file not found", file=str(data_path), hint=f"fix 'file' in {mapping}")
    sums = {"file": sha256_of(data_path),
            "mapping": hashlib.sha256(json.dumps(spec.model_dump(), sort_keys=True).encode()).hexdigest()}
    key = cache.cache_key(spec.name, sums, CLEANING_VERSION)
    if use_cache and not force and (hit := cache.load(spec.name, key, cache_root)) is not None:
        return hit
    raw = read_tabular(data_path, sheet=spec.sheet, encoding=spec.encoding)
    ds = build_custom(raw, spec, str(data_path))
    ds.source_sha256 = sums
    if use_cache:
        cache.save(ds, cache_root)
    return ds


def _first_bad_row(mask: np.ndarray) -> int:
    """1-based data row number (header excluded) of the first True."""
    return int(np.flatnonzero(mask)[0]) + 1


def build_custom(raw: pd.DataFrame, spec: CustomSpec, source: str) -> Dataset:
    if raw.empty:
        raise DataError("file has no data rows", file=source)
    cols = {k: v for k, v in spec.columns.model_dump().items() if v is not None}
    missing = [v for v in cols.values() if v not in raw.columns]
    if missing:
        raise DataError(f"mapped column(s) {missing} not in the file (columns: {list(raw.columns)})",
                        file=source, column=missing[0], hint="fix 'columns' in the mapping")
    report = CleaningReport(raw_rows=len(raw))
    df = pd.DataFrame(index=raw.index)
    for canon in (S.CUSTOMER, S.BASKET, S.ITEM, S.STORE, *S.CATEGORY_LEVELS, S.DESCRIPTION):
        if canon in cols:
            df[canon] = raw[cols[canon]].astype("string").str.strip().astype(S.STRING)
    for canon in (S.BASKET, S.ITEM):
        bad = df[canon].isna().to_numpy() | (df[canon] == "").fillna(True).to_numpy()
        if bad.any():
            raise DataError("empty id", file=source, row=_first_bad_row(bad), column=cols[canon],
                            hint="every line needs a basket and an item id")
    for canon in (S.QUANTITY, S.UNIT_PRICE, S.VALUE, S.UNIT_COST, S.DISCOUNT):
        if canon in cols:
            df[canon] = _numeric(raw[cols[canon]], source, cols[canon])
    if S.QUANTITY not in df:
        df[S.QUANTITY] = 1.0
    if S.UNIT_PRICE not in df:
        df[S.UNIT_PRICE] = df[S.VALUE] / df[S.QUANTITY] if S.VALUE in df else np.nan
    if S.VALUE not in df:
        df[S.VALUE] = df[S.QUANTITY] * df[S.UNIT_PRICE]
    if S.TIMESTAMP in cols:
        df[S.TIMESTAMP] = _timestamps(raw[cols[S.TIMESTAMP]], spec.timestamp_format, source, cols[S.TIMESTAMP])
    else:
        df[S.TIMESTAMP] = pd.NaT
    if S.CUSTOMER not in df:
        df[S.CUSTOMER] = pd.array([None] * len(df), dtype=S.STRING)
    nonpos_q = ~(df[S.QUANTITY] > 0).to_numpy()
    if nonpos_q.any():
        raise DataError(f"quantity must be > 0 ({int(nonpos_q.sum())} row(s) are not)", file=source,
                        row=_first_bad_row(nonpos_q), column=cols.get(S.QUANTITY, S.QUANTITY),
                        hint="put returns in a separate file; drop or fix these rows")
    has_price = df[S.UNIT_PRICE].notna().to_numpy()
    nonpos_p = has_price & ~(df[S.UNIT_PRICE] > 0).to_numpy()
    if nonpos_p.any():
        if spec.nonpositive_prices == "error":
            raise DataError(f"unit price must be > 0 ({int(nonpos_p.sum())} row(s) are not)", file=source,
                            row=_first_bad_row(nonpos_p), column=cols.get(S.UNIT_PRICE, S.VALUE),
                            hint="fix them, or set 'nonpositive_prices: drop' in the mapping")
        df, _ = report.apply(df, "unit price <= 0", nonpos_p)
    dup = df.duplicated(keep="first").to_numpy()
    if dup.any():
        if spec.duplicates == "error":
            raise DataError(f"{int(dup.sum())} duplicate line(s) (identical in every mapped column)",
                            file=source, row=_first_bad_row(dup),
                            hint="remove them, or set 'duplicates: drop' (or 'keep') in the mapping")
        if spec.duplicates == "drop":
            df, _ = report.apply(df, "exact duplicate lines", dup)
    descriptions = most_frequent_text(df[S.ITEM], df[S.DESCRIPTION]) if S.DESCRIPTION in df else None
    lines = S.conform_lines(df.drop(columns=[S.DESCRIPTION], errors="ignore"), source=source)
    lines = lines.sort_values([S.TIMESTAMP, S.BASKET, S.ITEM], kind="stable").reset_index(drop=True)
    return Dataset(name=spec.name, lines=lines, catalog=build_catalog(lines, descriptions),
                   returns=S.empty_returns(), report=report, cleaning_version=CLEANING_VERSION)


def _numeric(s: pd.Series, source: str, column: str) -> pd.Series:
    out = pd.to_numeric(s, errors="coerce").astype("float64")
    bad = (out.isna() & s.notna() & (s.astype("string").str.strip() != "")).to_numpy()
    if bad.any():
        row = _first_bad_row(bad)
        raise DataError(f"not a number: {s.iloc[row - 1]!r}", file=source, row=row, column=column,
                        hint="fix the value or map another column")
    return out


def _timestamps(s: pd.Series, fmt: str | None, source: str, column: str) -> pd.Series:
    if pd.api.types.is_datetime64_any_dtype(s):
        return _not_future(s.astype("datetime64[ns]"), s, source, column)
    out = pd.to_datetime(s, format=fmt, errors="coerce")
    bad = (out.isna() & s.notna()).to_numpy()
    if bad.any():
        row = _first_bad_row(bad)
        raise DataError(f"not a date/time: {s.iloc[row - 1]!r}", file=source, row=row, column=column,
                        hint="fix the value or set 'timestamp_format' in the mapping")
    return _not_future(out.astype("datetime64[ns]"), s, source, column)


def _not_future(out: pd.Series, raw: pd.Series, source: str, column: str) -> pd.Series:
    """Transactions dated after tomorrow are a parsing bug (day/month swapped, a 2-digit year read
    as 20xx, an epoch in the wrong unit), not data: an error naming the first such row."""
    limit = pd.Timestamp.now().normalize() + pd.Timedelta(days=2)
    bad = (out > limit).to_numpy()
    if bad.any():
        row = _first_bad_row(bad)
        raise DataError(f"date {out.iloc[row - 1]} is in the future (raw value {str(raw.iloc[row - 1])!r})",
                        file=source, row=row, column=column,
                        hint="a parsing problem? set 'timestamp_format' in the mapping (e.g. '%d/%m/%Y %H:%M')")
    return out
