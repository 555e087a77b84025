"""The loaders read the original published formats: .xlsx (python-calamine), the UCI .zip holding
it, .csv and .csv.gz. Small files in the original layout are written here with xlsxwriter."""

import datetime as dt
import gzip
import zipfile

import pytest

from cs_lab.data.loaders import _uci_retail as uci
from cs_lab.data.loaders.online_retail import OnlineRetail
from cs_lab.errors import DataError

xlsxwriter = pytest.importorskip("xlsxwriter")

HEADER = ["InvoiceNo", "StockCode", "Description", "Quantity", "InvoiceDate", "UnitPrice", "CustomerID", "Country"]
ROWS = [
    [536365, "85123A", "WHITE HANGING HEART T-LIGHT HOLDER", 6, dt.datetime(2010, 12, 1, 8, 26), 2.55, 17850.0,
     "United Kingdom"],
    [536365, 71053, "WHITE METAL LANTERN", 6, dt.datetime(2010, 12, 1, 8, 26), 3.39, 17850.0, "United Kingdom"],
    ["C536379", "D", "Discount", -1, dt.datetime(2010, 12, 1, 9, 41), 27.5, 14527.0, "United Kingdom"],
    [536380, 22961, "JAM MAKING SET PRINTED", 24, dt.datetime(2010, 12, 1, 9, 41), 1.45, None, "United Kingdom"],
]


def write_xlsx(path, sheet="Online Retail", header=HEADER, rows=ROWS):
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet(sheet)
    date = wb.add_format({"num_format": "yyyy-mm-dd hh:mm"})
    ws.write_row(0, 0, header)
    for r, row in enumerate(rows, 1):
        for c, v in enumerate(row):
            if isinstance(v, dt.datetime):
                ws.write_datetime(r, c, v, date)
            elif v is not None:
                ws.write(r, c, v)
    wb.close()


def test_xlsx_cells_normalised(tmp_path):
    p = tmp_path / "Online Retail.xlsx"
    write_xlsx(p)
    raw = uci.read_file(p)
    assert raw["InvoiceNo"].tolist() == ["536365", "536365", "C536379", "536380"]   # numbers -> text, no ".0"
    assert raw["StockCode"].tolist() == ["85123A", "71053", "D", "22961"]
    assert raw["CustomerID"].tolist()[:3] == ["17850", "17850", "14527"] and raw["CustomerID"].isna().tolist()[3]
    assert str(raw["InvoiceDate"].iloc[0]) == "2010-12-01 08:26:00"
    assert raw["Quantity"].tolist() == [6.0, 6.0, -1.0, 24.0]


def test_uci_zip_and_csv_gz_give_the_same_frame(tmp_path):
    x = tmp_path / "Online Retail.xlsx"
    write_xlsx(x)
    z = tmp_path / "online+retail.zip"
    with zipfile.ZipFile(z, "w") as zf:
        zf.write(x, "Online Retail.xlsx")
    from_zip = uci.read_file(z)
    csv = tmp_path / "Online Retail.csv.gz"
    lines = [",".join(HEADER)] + [",".join("" if v is None else (v.strftime("%Y-%m-%d %H:%M:%S")
                                                                  if isinstance(v, dt.datetime) else
                                                                  (str(int(v)) if isinstance(v, float) and c == 6 else str(v)))
                                           for c, v in enumerate(r)) for r in ROWS]
    csv.write_bytes(gzip.compress(("\n".join(lines) + "\n").encode()))
    from_csv = uci.read_file(csv)
    assert from_zip.astype(str).equals(from_csv.astype(str))


def test_online_retail_ii_sheets_by_name(tmp_path):
    from cs_lab.data.io import read_xlsx, xlsx_sheet_names

    header = ["Invoice", "StockCode", "Description", "Quantity", "InvoiceDate", "Price", "Customer ID", "Country"]
    p = tmp_path / "online_retail_II.xlsx"
    wb = xlsxwriter.Workbook(str(p))
    for name, rows in (("Year 2009-2010", ROWS[:2]), ("Year 2010-2011", ROWS[2:])):
        ws = wb.add_worksheet(name)
        ws.write_row(0, 0, header)
        for r, row in enumerate(rows, 1):
            ws.write_row(r, 0, [v.isoformat(" ") if isinstance(v, dt.datetime) else v for v in row])
    wb.close()
    assert xlsx_sheet_names(p) == ["Year 2009-2010", "Year 2010-2011"]
    second = uci.read_file(p, sheet="Year 2010-2011")
    assert second["InvoiceNo"].tolist() == ["C536379", "536380"]
    with pytest.raises(DataError, match="no sheet 'Year 2012'"):
        read_xlsx(p, str(p), "Year 2012")


def test_published_file_with_wrong_row_count_is_refused(tmp_path):
    (tmp_path / "online_retail").mkdir()
    write_xlsx(tmp_path / "online_retail" / "Online Retail.xlsx")
    with pytest.raises(DataError, match=r"4 data rows, expected 541,909"):
        OnlineRetail().prepare(root=tmp_path, progress=False, use_cache=False)


def test_corrupt_xlsx(tmp_path):
    p = tmp_path / "Online Retail.xlsx"
    p.write_bytes(b"PK\x03\x04 not really a workbook")
    with pytest.raises(DataError, match="cannot read xlsx"):
        uci.read_file(p)
