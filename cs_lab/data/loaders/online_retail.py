"""UCI Online Retail (dataset 352): a UK online gift retailer, 2010-12-01 to 2011-12-09.

Chen, Sain & Guo (2012). Licence CC BY 4.0. doi:10.24432/C5BW33.
Cleaning: see _uci_retail.clean and docs/data.md.
"""

from __future__ import annotations

import pandas as pd

from cs_lab.data.cleaning import CleaningReport
from cs_lab.data.loaders import _uci_retail as uci
from cs_lab.data.loaders.base import Cleaned, Loader, Source
from cs_lab.data.sources import RawFile, check_rows

RAW_ROWS = 541_909
URL = "https://archive.ics.uci.edu/static/public/352/online+retail.zip"

FILES = (
    # the CSV rebuilt from a verified copy (shared/datasets/MANIFEST.md)
    RawFile("Online Retail.csv.gz", "csv.gz",
            "157e69e27039e9618d3e09c0ea58f78c2e5915c95841be7c1c5cab960f9329c6", None, RAW_ROWS),
    RawFile("Online Retail.csv", "csv",
            "1b8d9b40edc8ca0f4a23760dae263a9a69b1b9550257866296056af8224899a4", None, RAW_ROWS),
    # the original publication: an xlsx inside UCI's zip (not pinned: no verified copy was available)
    RawFile("Online Retail.xlsx", "xlsx", None, None, RAW_ROWS),
    RawFile("online+retail.zip", "zip", None, URL, RAW_ROWS, how="(UCI's zip holding 'Online Retail.xlsx')"),
)


class OnlineRetail(Loader):
    name = "online_retail"
    description = "UCI Online Retail: UK online gift shop, 2010-12 to 2011-12, ~26k invoices"
    cleaning_version = "1"
    sources = (Source("main", "online_retail", FILES),)

    def read(self, files):
        rf, path = files["main"]
        raw = uci.read_file(path)
        check_rows(rf, path, len(raw))
        return raw

    def clean(self, raw: pd.DataFrame, report: CleaningReport) -> Cleaned:
        return uci.clean(raw, report)
