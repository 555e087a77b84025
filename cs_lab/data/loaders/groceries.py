"""arules "Groceries": one month of point-of-sale baskets from a grocery outlet (Hahsler et al. 2006).

Baskets only: no customers, no timestamps, no prices. One basket per line,
comma-separated item labels, no header (the CSV distributed with Lantz,
"Machine Learning with R"). basket_id is the 1-based line number.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cs_lab.data import schema as S
from cs_lab.data.cleaning import CleaningReport
from cs_lab.data.io import _open_bytes
from cs_lab.data.loaders.base import Cleaned, Loader, Source
from cs_lab.data.sources import RawFile, check_rows
from cs_lab.errors import DataError

URL = "https://raw.githubusercontent.com/stedy/Machine-Learning-with-R-datasets/master/groceries.csv"
BASKETS = 9_835
FILES = (
    RawFile("groceries.csv.gz", "basket-csv.gz",
            "a963d69a11842c0e29db6c4088a0a4b7d781a9105276bcf33e2d638ea2a4d78e", None, BASKETS),
    RawFile("groceries.csv", "basket-csv",
            "ff1be892fd6b9b57d1a7bc50de067798963dda607619645988b21789bf23ae3b", URL, BASKETS),
)


def read_basket_lines(data: bytes, source: str) -> pd.DataFrame:
    """One row per (basket line number, item label) from a headerless basket CSV."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        row = data[: exc.start].count(b"\n") + 1
        raise DataError("text is not valid UTF-8", file=source, row=row,
                        hint="re-encode the file as UTF-8") from exc
    rows = text.splitlines()
    if not rows:
        raise DataError("file is empty", file=source, hint="expected one basket per line")
    items = [r.split(",") for r in rows]
    sizes = np.fromiter((len(x) for x in items), dtype=np.int64, count=len(items))
    flat = [t.strip() for x in items for t in x]
    baskets = np.repeat(np.arange(1, len(items) + 1), sizes)
    return pd.DataFrame({"basket": baskets, "item": pd.array(flat, dtype=S.STRING)})


class Groceries(Loader):
    name = "groceries"
    description = "arules Groceries: 9,835 baskets, 169 items, no customers / time / prices"
    cleaning_version = "1"
    sources = (Source("main", "groceries", FILES),)

    def read(self, files):
        rf, path = files["main"]
        raw = read_basket_lines(_open_bytes(path), str(path))
        n = int(raw["basket"].max())
        check_rows(rf, path, n, "baskets")
        return raw

    def clean(self, raw: pd.DataFrame, report: CleaningReport) -> Cleaned:
        df, _ = report.apply(raw, "empty item labels", raw["item"].fillna("") == "")
        df, _ = report.apply(df, "item repeated in a basket", df.duplicated(["basket", "item"]))
        n = len(df)
        lines = pd.DataFrame({
            S.CUSTOMER: pd.array([None] * n, dtype=S.STRING),
            S.BASKET: df["basket"].astype(str).to_numpy(),
            S.ITEM: df["item"].to_numpy(),
            S.TIMESTAMP: np.full(n, np.datetime64("NaT"), dtype="datetime64[ns]"),
            S.QUANTITY: np.ones(n),
            S.UNIT_PRICE: np.full(n, np.nan),
            S.VALUE: np.full(n, np.nan),
        })
        return Cleaned(lines=lines)
