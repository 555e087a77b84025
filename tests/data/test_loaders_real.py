"""Integration: every dataset prepares from its raw file with the MANIFEST's row counts and stable
cleaning counts; the cache round-trips."""

import numpy as np
import pandas as pd
import pytest

from cs_lab.data import cache, schema as S
from cs_lab.data.loaders import get_loader
from cs_lab.data.stats import dataset_stats

pytestmark = pytest.mark.integration

# raw rows from shared/datasets/MANIFEST.md; cleaning counts measured and pinned (a change is a decision)
EXPECTED = {
    "online_retail": {"raw_rows": 541_909, "clean_rows": 522_537, "returns": 10_587, "items": 3_907,
                      "steps": {"exact duplicate lines": 5_268, "cancellation invoices ('C...')": 9_251,
                                "negative quantity": 1_336, "non-product stock codes": 2_361,
                                "unit price <= 0": 1_156}},
    "online_retail_ii": {"raw_rows": 525_461 + 541_909, "clean_rows": 1_003_338, "returns": 22_497, "items": 4_894,
                         "steps": {"invoices present in both sheets": 22_523, "exact duplicate lines": 11_812,
                                   "cancellation invoices ('C...')": 19_104, "negative quantity": 3_393,
                                   "non-product stock codes": 4_629, "unit price <= 0": 2_571}},
    "groceries": {"raw_rows": 43_367, "clean_rows": 43_367, "returns": 0, "items": 169, "steps": {}},
    "ta_feng": {"raw_rows": 817_741, "clean_rows": 817_741, "returns": 0, "items": 23_812, "steps": {}},
    "complete_journey": {"raw_rows": 1_469_307, "clean_rows": 1_439_990, "returns": 0, "items": 67_791,
                         "steps": {"non-merchandise departments": 18_299, "quantity <= 0": 8_789,
                                   "sales value <= 0": 2_229}},
}


@pytest.mark.parametrize("name", list(EXPECTED))
def test_counts_match_manifest_and_pinned_cleaning(real_dataset, name):
    ds = real_dataset(name)
    exp = EXPECTED[name]
    assert ds.report.raw_rows == exp["raw_rows"]
    assert len(ds.lines) == ds.report.clean_rows == exp["clean_rows"]
    assert len(ds.returns) == exp["returns"]
    assert len(ds.catalog) == ds.lines[S.ITEM].nunique() == exp["items"]
    steps = {s.name: s.removed + s.moved_to_returns for s in ds.report.steps}
    for step, n in exp["steps"].items():
        assert steps[step] == n, step


@pytest.mark.parametrize("name", list(EXPECTED))
def test_canonical_invariants(real_dataset, name):
    ds = real_dataset(name)
    lines = ds.lines
    for col in S.REQUIRED_LINE_COLUMNS:
        assert str(lines[col].dtype) == str(S.LINE_DTYPES[col]), col
    assert (lines[S.QUANTITY] > 0).all()
    assert lines[S.BASKET].notna().all() and lines[S.ITEM].notna().all()
    priced = lines[S.UNIT_PRICE].notna()
    assert (lines.loc[priced, S.UNIT_PRICE] > 0).all()
    if name != "complete_journey":  # CJ value is the recorded sales value; price is derived from it
        np.testing.assert_allclose(lines.loc[priced, S.VALUE],
                                   lines.loc[priced, S.QUANTITY] * lines.loc[priced, S.UNIT_PRICE], rtol=1e-6)
    assert lines[S.TIMESTAMP].is_monotonic_increasing or lines[S.TIMESTAMP].isna().all()


def test_specific_facts(real_dataset):
    st = dataset_stats(real_dataset("groceries"))
    assert st["baskets"] == 9_835 and st["customers"] == 0
    st = dataset_stats(real_dataset("ta_feng"))
    assert st["customers"] == 32_266 and st["share_with_cost"] == 1.0
    assert st["date_min"].startswith("2000-11-01") and st["date_max"].startswith("2001-02-28")
    st = dataset_stats(real_dataset("online_retail"))
    assert st["date_min"] == "2010-12-01 08:26:00" and st["date_max"] == "2011-12-09 12:50:00"
    assert st["customers"] == 4_334
    st = dataset_stats(real_dataset("complete_journey"))
    assert st["customers"] == 2_467 and st["category_levels"]["category_1"] > 10


def test_cache_round_trip(real_dataset, tmp_path):
    ds = real_dataset("online_retail")
    cache.save(ds, tmp_path)
    key = cache.cache_key(ds.name, ds.source_sha256, ds.cleaning_version)
    back = cache.load(ds.name, key, tmp_path)
    pd.testing.assert_frame_equal(back.lines, ds.lines)
    pd.testing.assert_frame_equal(back.catalog, ds.catalog)
    pd.testing.assert_frame_equal(back.returns, ds.returns)
    assert back.report.to_dict() == ds.report.to_dict()


def test_online_retail_cleaning_rules(real_dataset):
    ds = real_dataset("online_retail")
    assert not ds.lines[S.BASKET].str.startswith("C").any()
    assert set(ds.returns["reason"].unique()) == {"cancellation", "negative quantity"}
    assert not ds.lines[S.ITEM].isin(["POST", "DOT", "M", "BANK CHARGES", "AMAZONFEE"]).any()
    assert not ds.lines[S.ITEM].str.startswith("gift_").any()
    # anonymous baskets are kept (for item-to-item mining)
    assert ds.lines[S.CUSTOMER].isna().sum() > 100_000
    desc = ds.catalog.set_index(S.ITEM)[S.DESCRIPTION]
    assert desc["85123A"] == "WHITE HANGING HEART T-LIGHT HOLDER"


def test_checksums_are_pinned_and_verified(real_dataset):
    real_dataset("online_retail")  # skips when absent
    loader = get_loader("online_retail")
    files = loader.locate()
    sums = loader.checksums(files)
    assert sums["main"] == "157e69e27039e9618d3e09c0ea58f78c2e5915c95841be7c1c5cab960f9329c6"
