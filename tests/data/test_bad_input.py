"""Bad input gets a clear error naming the file, row or column; nothing half-written is left behind."""

import gzip
import shutil
from pathlib import Path

import pandas as pd
import pytest

from cs_lab.data import cache
from cs_lab.data.custom import load_custom
from cs_lab.data.loaders import get_loader
from cs_lab.data.synthetic import generate
from cs_lab.errors import ChecksumError, ConfigError, DataError, MissingDataError

MAPPING = """name: shop
file: {file}
columns:
  customer_id: Customer
  basket_id: Invoice
  item_id: Sku
  timestamp: When
  quantity: Qty
  unit_price: Price
{extra}"""


def write(tmp_path: Path, csv: str | bytes, extra: str = "", name: str = "lines.csv") -> Path:
    p = tmp_path / name
    p.write_bytes(csv if isinstance(csv, bytes) else csv.encode())
    m = tmp_path / "mapping.yaml"
    m.write_text(MAPPING.format(file=name, extra=extra))
    return m


GOOD = "Customer,Invoice,Sku,When,Qty,Price\nc1,b1,i1,2024-01-01 10:00,1,2.5\nc1,b1,i2,2024-01-01 10:00,2,1.0\n" \
       "c2,b2,i1,2024-01-02 11:00,1,2.5\n"


def test_custom_good_file(tmp_path, tmp_cache):
    ds = load_custom(write(tmp_path, GOOD))
    assert len(ds.lines) == 3 and ds.lines["value"].tolist() == [2.5, 2.0, 2.5]
    assert len(cache.entries("shop")) == 1
    # parquet input gives the same canonical table
    pd.read_csv(tmp_path / "lines.csv").to_parquet(tmp_path / "lines.parquet")
    (tmp_path / "m2.yaml").write_text(MAPPING.format(file="lines.parquet", extra="").replace("shop", "shop2"))
    ds2 = load_custom(tmp_path / "m2.yaml")
    pd.testing.assert_frame_equal(ds.lines, ds2.lines)


def test_missing_column(tmp_path, tmp_cache):
    m = write(tmp_path, GOOD.replace("Sku", "Product"))
    with pytest.raises(DataError, match=r"lines.csv.*column 'Sku'"):
        load_custom(m)


def test_wrong_type_names_row_and_column(tmp_path, tmp_cache):
    m = write(tmp_path, GOOD.replace(",2,1.0", ",two,1.0"))
    with pytest.raises(DataError, match=r"lines.csv, row 2, column 'Qty'.*'two'"):
        load_custom(m)


def test_bad_date(tmp_path, tmp_cache):
    m = write(tmp_path, GOOD.replace("2024-01-02 11:00", "yesterday"))
    with pytest.raises(DataError, match=r"row 3, column 'When'"):
        load_custom(m)


def test_empty_file(tmp_path, tmp_cache):
    with pytest.raises(DataError, match="empty"):
        load_custom(write(tmp_path, ""))
    with pytest.raises(DataError, match="no data rows"):
        load_custom(write(tmp_path, "Customer,Invoice,Sku,When,Qty,Price\n"))


@pytest.mark.parametrize("price", ["0", "-1.5"])
def test_nonpositive_prices(tmp_path, tmp_cache, price):
    bad = GOOD.replace(",1,2.5\n", f",1,{price}\n", 1)
    with pytest.raises(DataError, match=r"row 1, column 'Price'.*nonpositive_prices"):
        load_custom(write(tmp_path, bad))
    ds = load_custom(write(tmp_path, bad, "nonpositive_prices: drop\n"))
    assert len(ds.lines) == 2 and ds.report.steps[0].removed == 1


def test_duplicate_lines(tmp_path, tmp_cache):
    dup = GOOD + "c2,b2,i1,2024-01-02 11:00,1,2.5\n"
    with pytest.raises(DataError, match=r"row 4.*duplicate"):
        load_custom(write(tmp_path, dup))
    assert len(load_custom(write(tmp_path, dup, "duplicates: drop\n")).lines) == 3


def test_non_utf8(tmp_path, tmp_cache):
    raw = GOOD.encode().replace(b"i2", b"caf\xe9")
    with pytest.raises(DataError, match=r"row 2.*UTF-8"):
        load_custom(write(tmp_path, raw))
    ds = load_custom(write(tmp_path, raw, "encoding: latin-1\n"))
    assert "café" in set(ds.lines["item_id"])


def test_mapping_errors_name_the_key(tmp_path):
    m = tmp_path / "m.yaml"
    m.write_text("name: x\nfile: a.csv\ncolumns: {basket_id: b, item_id: i, colour: c}\n")
    with pytest.raises(ConfigError, match=r"m.yaml: columns.colour"):
        load_custom(m)


def _copy_groceries(src_root: Path, dst_root: Path) -> Path:
    src = src_root / "groceries" / "groceries.csv.gz"
    if not src.is_file():
        pytest.skip(f"{src} not present")
    (dst_root / "groceries").mkdir(parents=True)
    dst = dst_root / "groceries" / "groceries.csv.gz"
    shutil.copy(src, dst)
    return dst


def test_checksum_mismatch_and_truncation(tmp_path, tmp_cache):
    from cs_lab.data.sources import data_dir

    dst = _copy_groceries(data_dir(), tmp_path / "raw")
    loader = get_loader("groceries")
    data = dst.read_bytes()
    dst.write_bytes(data[: len(data) // 2])  # truncated
    with pytest.raises(ChecksumError, match=r"groceries.csv.gz.*sha256"):
        loader.prepare(root=tmp_path / "raw", progress=False)
    assert not tmp_cache.exists() or not any(tmp_cache.rglob("*.parquet"))


def test_missing_raw_file_says_where(tmp_path):
    with pytest.raises(MissingDataError, match=r"ta_feng_all_months_merged.csv.gz"):
        get_loader("ta_feng").prepare(root=tmp_path, progress=False)


def test_corrupt_gzip_with_right_name(tmp_path):
    from cs_lab.data.io import read_tabular

    p = tmp_path / "x.csv.gz"
    p.write_bytes(gzip.compress(b"a,b\n1,2\n")[:15])
    with pytest.raises(DataError, match=r"x.csv.gz.*gzip"):
        read_tabular(p)


def test_cache_write_is_atomic(tmp_path, monkeypatch):
    ds = generate(n_baskets=100, seed=0).dataset
    calls = {"n": 0}
    real = pd.DataFrame.to_parquet

    def failing(self, path, *a, **k):
        calls["n"] += 1
        if calls["n"] == 2:  # fail while writing the second table
            raise OSError("disk full")
        return real(self, path, *a, **k)

    monkeypatch.setattr(pd.DataFrame, "to_parquet", failing)
    with pytest.raises(OSError, match="disk full"):
        cache.save(ds, tmp_path)
    leftovers = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert leftovers == []
    assert cache.entries("synthetic", tmp_path) == []
    monkeypatch.setattr(pd.DataFrame, "to_parquet", real)
    cache.save(ds, tmp_path)
    assert len(cache.entries("synthetic", tmp_path)) == 1


def test_unknown_dataset_name():
    with pytest.raises(ConfigError, match="unknown dataset 'nope'"):
        get_loader("nope")
