"""The prepared-data cache verifies its checksum.json sidecar on every load: an entry whose parquet
was altered but still reads, damaged, or without a sidecar is rebuilt (one-line warning), never used."""

import json
import logging

import pandas as pd
import pytest

from cs_lab.data import cache
from cs_lab.data.checksums import CHECKSUMS, verify
from cs_lab.data.custom import load_custom
from cs_lab.data.synthetic import generate


@pytest.fixture(scope="module")
def ds():
    return generate(n_customers=40, n_items=20, n_baskets=200, seed=3).dataset


def entry(ds, root):
    d = cache.save(ds, root)
    return d, cache.cache_key(ds.name, ds.source_sha256, ds.cleaning_version)


def warnings_of(caplog):
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]


def test_intact_entry_is_loaded_silently(ds, tmp_path, caplog):
    d, key = entry(ds, tmp_path)
    assert sorted(json.loads((d / CHECKSUMS).read_text())) == [
        "catalog.parquet", "lines.parquet", "meta.json", "returns.parquet"]
    with caplog.at_level(logging.WARNING):
        hit = cache.load(ds.name, key, tmp_path)
    assert hit is not None and not warnings_of(caplog)
    pd.testing.assert_frame_equal(hit.lines, ds.lines)


@pytest.mark.parametrize("table", ["lines", "catalog", "returns"])
def test_altered_but_readable_parquet_is_not_used(ds, tmp_path, caplog, table):
    """Rows changed in place: the parquet still reads fine, only the checksum can tell."""
    d, key = entry(ds, tmp_path)
    df = pd.read_parquet(d / f"{table}.parquet")
    df = df.iloc[:-1] if len(df) > 1 else df.iloc[:0]          # one row fewer
    df.to_parquet(d / f"{table}.parquet", index=False)
    pd.read_parquet(d / f"{table}.parquet")                     # still readable
    with caplog.at_level(logging.WARNING):
        assert cache.load(ds.name, key, tmp_path) is None
    msgs = warnings_of(caplog)
    assert len(msgs) == 1 and "\n" not in msgs[0]
    assert "do not match checksum.json" in msgs[0] and "rebuilding" in msgs[0] and str(d) in msgs[0]
    assert not d.exists()                                       # removed, so the caller rebuilds it


def test_one_value_changed_same_size_is_caught(ds, tmp_path, caplog):
    """A value changed without changing the file's size (and its mtime put back) is still caught:
    the sidecar is checked by content on every load, not by size and mtime."""
    import os

    d, key = entry(ds, tmp_path)
    meta = d / "meta.json"
    st = meta.stat()
    text = meta.read_text()
    altered = text.replace(ds.name, ds.name.upper(), 1)        # same length, different content
    assert altered != text and len(altered) == len(text)
    meta.write_text(altered)
    os.utime(meta, ns=(st.st_atime_ns, st.st_mtime_ns))
    with caplog.at_level(logging.WARNING):
        assert cache.load(ds.name, key, tmp_path) is None
    assert any("do not match checksum.json" in m for m in warnings_of(caplog))


def test_entry_without_sidecar_is_rebuilt(ds, tmp_path, caplog):
    d, key = entry(ds, tmp_path)
    (d / CHECKSUMS).unlink()
    with caplog.at_level(logging.WARNING):
        assert cache.load(ds.name, key, tmp_path) is None
    msgs = warnings_of(caplog)
    assert len(msgs) == 1 and "no checksum.json" in msgs[0]


def test_missing_table_is_rebuilt(ds, tmp_path):
    d, key = entry(ds, tmp_path)
    (d / "returns.parquet").unlink()
    assert cache.load(ds.name, key, tmp_path) is None


def test_verify_rejects_empty_or_malformed_sidecar(ds, tmp_path):
    d, _ = entry(ds, tmp_path)
    assert verify(d)
    for bad in ("{}", "[1, 2]", "not json"):
        (d / CHECKSUMS).write_text(bad)
        assert not verify(d)


GOOD = "Customer,Invoice,Sku,When,Qty,Price\nc1,b1,i1,2024-01-01 10:00,1,2.5\nc1,b1,i2,2024-01-01 10:00,2,1.0\n" \
       "c2,b2,i1,2024-01-02 11:00,1,2.5\n"
MAPPING = """name: shop
file: lines.csv
columns: {customer_id: Customer, basket_id: Invoice, item_id: Sku, timestamp: When, quantity: Qty, unit_price: Price}
"""


def test_loader_rebuilds_altered_entry_to_the_true_data(tmp_path, monkeypatch, caplog):
    """End to end through a loader: an altered cache entry is replaced by the data of the raw file."""
    monkeypatch.setenv(cache.CACHE_DIR_ENV, str(tmp_path / "cache"))
    (tmp_path / "lines.csv").write_text(GOOD)
    (tmp_path / "mapping.yaml").write_text(MAPPING)
    first = load_custom(tmp_path / "mapping.yaml")
    (d,) = cache.entries("shop")
    lines = pd.read_parquet(d / "lines.parquet")
    lines.loc[0, "quantity"] = 99                                   # a plausible, readable lie
    lines.to_parquet(d / "lines.parquet", index=False)
    with caplog.at_level(logging.WARNING):
        again = load_custom(tmp_path / "mapping.yaml")
    assert any("do not match checksum.json" in m for m in warnings_of(caplog))
    pd.testing.assert_frame_equal(again.lines, first.lines)
    assert verify(cache.entries("shop")[0])                         # repaired
