"""The open_bandit loader: pinned checksums, clear errors, the real sample's counts (MANIFEST.md)."""

import shutil

import numpy as np
import pandas as pd
import pytest

from cs_lab.data.loaders.open_bandit import FULL_DATA_URL, OpenBandit, load_open_bandit, parse_log
from cs_lab.data.sources import data_dir
from cs_lab.errors import ChecksumError, ConfigError, DataError, MissingDataError

# clicks per log from /work/shared/datasets/MANIFEST.md (measured there independently)
CLICKS = {("random", "all"): 38, ("random", "men"): 46, ("random", "women"): 46,
          ("bts", "all"): 42, ("bts", "men"): 69, ("bts", "women"): 46}


def _raw(policy, campaign):
    return data_dir() / "open_bandit" / policy / campaign / f"{campaign}.csv.gz"



@pytest.mark.integration
@pytest.mark.parametrize("policy,campaign", list(CLICKS))
def test_real_sample_counts(policy, campaign):
    if not _raw(policy, campaign).is_file():
        pytest.skip(f"{_raw(policy, campaign)} not found (set CS_LAB_DATA_DIR)")
    log = load_open_bandit(policy, campaign)
    n_items = {"all": 80, "men": 34, "women": 46}[campaign]
    assert log.n_rounds == 10_000 and log.clicks == CLICKS[(policy, campaign)]
    assert log.n_items == n_items and log.affinity.shape == (10_000, n_items)
    assert set(np.unique(log.position)) == {0, 1, 2}
    assert log.action.min() >= 0 and log.action.max() < n_items
    if policy == "random":
        np.testing.assert_allclose(log.pscore, 1 / n_items)
    else:
        assert 0 < log.pscore.min() < log.pscore.max() <= 1


def _copy(tmp_path, policy="random", campaign="men"):
    src = data_dir() / "open_bandit" / policy / campaign
    if not (src / f"{campaign}.csv.gz").is_file() or not (src / "item_context.csv").is_file():
        pytest.skip(f"{src} not present")
    dst = tmp_path / "open_bandit" / policy / campaign
    dst.mkdir(parents=True)
    for f in (f"{campaign}.csv.gz", "item_context.csv"):
        shutil.copy(src / f, dst / f)
    return dst


@pytest.mark.integration
def test_checksum_mismatch_names_the_file(tmp_path):
    dst = _copy(tmp_path)
    f = dst / "men.csv.gz"
    data = bytearray(f.read_bytes())
    data[-10] ^= 0xFF
    f.write_bytes(bytes(data))
    with pytest.raises(ChecksumError, match=r"men\.csv\.gz.*sha256"):
        load_open_bandit("random", "men", root=tmp_path)


@pytest.mark.integration
def test_checksum_mismatch_of_item_context(tmp_path):
    dst = _copy(tmp_path)
    with open(dst / "item_context.csv", "a") as fh:
        fh.write("\n")
    with pytest.raises(ChecksumError, match=r"item_context\.csv.*sha256"):
        load_open_bandit("random", "men", root=tmp_path)


def test_missing_file_says_where_and_gives_the_url(tmp_path):
    with pytest.raises(MissingDataError) as exc:
        load_open_bandit("bts", "women", root=tmp_path)
    msg = str(exc.value)
    assert str(tmp_path / "open_bandit" / "bts" / "women" / "women.csv.gz") in msg
    assert FULL_DATA_URL in msg and "obp==0.4.1" in msg


def test_unknown_campaign_or_policy():
    with pytest.raises(ConfigError, match="campaign"):
        load_open_bandit("random", "kids")
    with pytest.raises(ConfigError, match="policy"):
        load_open_bandit("egreedy", "all")


def _frame(n_items=2):
    df = pd.DataFrame({"timestamp": ["2019-11-24 00:00:00+00:00"] * 3, "item_id": [0, 1, 1], "position": [1, 2, 3],
                       "click": [0, 1, 0], "propensity_score": [0.5, 0.5, 0.5]})
    for i in range(4):
        df[f"user_feature_{i}"] = ["a", "b", "a"]
    for i in range(n_items):
        df[f"user-item_affinity_{i}"] = 0.0
    return df


def test_parse_log_ok_and_zero_based_positions():
    out = parse_log(_frame(), "x.csv", 2)
    np.testing.assert_array_equal(out["position"], [0, 1, 2])
    np.testing.assert_array_equal(out["reward"], [0, 1, 0])


@pytest.mark.parametrize("column,value,what", [("position", 4, "slot"), ("item_id", 2, "item id"),
                                               ("click", 2, "0 or 1"), ("propensity_score", 0.0, "probability")])
def test_bad_value_names_row_and_column(column, value, what):
    df = _frame()
    df.loc[1, column] = value
    with pytest.raises(DataError, match=rf"x\.csv, row 3, column '{column}'.*{what}"):
        parse_log(df, "x.csv", 2)


def test_missing_column_is_named():
    with pytest.raises(DataError, match="user-item_affinity_2"):
        parse_log(_frame(2), "x.csv", 3)


def test_sources_cover_every_log():
    keys = {s.key for s in OpenBandit.sources}
    assert len(keys) == 12 and "bts/women/item_context" in keys
