"""UCI Online Retail II (dataset 502): the same shop, 2009-12-01 to 2011-12-09.

The original xlsx has two sheets, "Year 2009-2010" and "Year 2010-2011". Where
only the first sheet is present (as in shared/datasets), the second is taken
from UCI Online Retail (dataset 352), which is the same data under the old
column names. Invoices of 2010-12-01..09 appear in both sheets (as they do in
the original workbook); they are kept once, from the 2009-2010 sheet.
"""

from __future__ import annotations

import pandas as pd

from cs_lab.data.cleaning import CleaningReport
from cs_lab.data.io import xlsx_sheet_names
from cs_lab.data.loaders import _uci_retail as uci
from cs_lab.data.loaders import online_retail
from cs_lab.data.loaders.base import Cleaned, Loader, Source
from cs_lab.data.sources import RawFile, check_rows, locate, present

URL = "https://archive.ics.uci.edu/static/public/502/online+retail+ii.zip"
SHEET1, SHEET2 = "Year 2009-2010", "Year 2010-2011"
SHEET1_ROWS = 525_461

FULL = (
    RawFile("online_retail_II.xlsx", "xlsx", None, None, how="(both sheets)"),
    RawFile("online+retail+ii.zip", "zip", None, URL, how="(UCI's zip holding online_retail_II.xlsx)"),
)
SHEET1_FILES = (
    RawFile("online_retail_II_Year-2009-2010.csv.gz", "csv.gz",
            "07a5be6c929a83b299c76ee0ccae75cf2adf5abda4365b55aacdecb6e4a0050c", None, SHEET1_ROWS),
    RawFile("online_retail_II_Year-2009-2010.csv", "csv",
            "28cf26fba698f80a5c65605d454e8237978c66239d8440a6bb01dfde3155ccff", None, SHEET1_ROWS),
)


class OnlineRetailII(Loader):
    name = "online_retail_ii"
    description = "UCI Online Retail II: same shop, 2009-12 to 2011-12 (sheet 2 from online_retail when absent)"
    cleaning_version = "1"
    sources = (Source("2009-2010", "online_retail_ii", FULL + SHEET1_FILES),
               Source("2010-2011", "online_retail", online_retail.FILES))

    def locate(self, root=None, download=True):
        # the full workbook alone is enough
        full = present("online_retail_ii", list(FULL), root)
        if full is not None:
            return {"full": locate("online_retail_ii", list(FULL), root=root, download=False)}
        return super().locate(root, download)

    def read(self, files):
        if "full" in files:
            _, path = files["full"]
            sheets = xlsx_sheet_names(path) if path.suffix == ".xlsx" else [SHEET1, SHEET2]
            parts = [uci.read_file(path, sheet=s).assign(_sheet=i) for i, s in enumerate(sheets[:2])]
        else:
            rf1, p1 = files["2009-2010"]
            a = uci.read_file(p1)
            check_rows(rf1, p1, len(a))
            b = online_retail.OnlineRetail().read({"main": files["2010-2011"]})
            parts = [a.assign(_sheet=0), b.assign(_sheet=1)]
        return pd.concat(parts, ignore_index=True)

    def clean(self, raw: pd.DataFrame, report: CleaningReport) -> Cleaned:
        in_first = set(raw.loc[raw["_sheet"] == 0, "InvoiceNo"].dropna())
        overlap = (raw["_sheet"] == 1) & raw["InvoiceNo"].isin(in_first)
        raw, _ = report.apply(raw, "invoices present in both sheets", overlap,
                              "2010-12-01..09, kept once from the 2009-2010 sheet")
        return uci.clean(raw.drop(columns="_sheet"), report)
