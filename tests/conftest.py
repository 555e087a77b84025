"""Shared test fixtures. Integration tests use the real datasets in $CS_LAB_DATA_DIR and skip, with the
reason, when a raw file is absent."""

from __future__ import annotations

import os
from pathlib import Path

import pytest



def pytest_configure(config):
    os.environ.setdefault("CS_LAB_OFFLINE", "1")
    os.environ.setdefault("MPLBACKEND", "Agg")


@pytest.fixture(scope="session")
def real_dataset():
    """A function name -> prepared Dataset (cached in $CS_LAB_CACHE_DIR), skipping when raw files are absent."""
    from cs_lab.data.loaders import get_loader

    loaded = {}

    def get(name: str):
        if name not in loaded:
            loader = get_loader(name)
            missing = loader.missing_raw()
            if missing:
                pytest.skip(f"raw data of {name!r} not found: expected {missing}; "
                            "set CS_LAB_DATA_DIR to the folder holding the datasets")
            loaded[name] = loader.prepare(progress=False)
        return loaded[name]

    return get


@pytest.fixture
def tmp_cache(tmp_path, monkeypatch) -> Path:
    d = tmp_path / "cache"
    monkeypatch.setenv("CS_LAB_CACHE_DIR", str(d))
    return d
