"""Parquet cache of prepared datasets, keyed by source checksums and cleaning version.

Everything is written to a temporary folder and renamed into place, so a crash
never leaves a half-written cache entry behind. Each entry carries ``checksum.json`` (the sha256
of its parquet files and meta.json, cs_lab/data/checksums.py), verified on every load: an entry
that does not match -- altered rows in a still-readable parquet, a damaged file, or an entry
without the sidecar (made before it existed) -- is removed with a one-line warning and rebuilt,
never used. Hashing costs little next to reading the parquet (docs/failure_modes.md).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import logging
import tempfile
import time
from pathlib import Path

import pandas as pd

from cs_lab.data.checksums import CHECKSUMS, verify, write_checksums
from cs_lab.data.cleaning import CleaningReport
from cs_lab.data.dataset import Dataset

log = logging.getLogger(__name__)

CACHE_DIR_ENV = "CS_LAB_CACHE_DIR"
#: a temp file/folder (name containing ".tmp") untouched for this long was left by a killed process
STALE_TMP_SECONDS = 3600
TABLES = ("lines", "catalog", "returns")


def cache_dir() -> Path:
    """$CS_LAB_CACHE_DIR; else ``<checkout>/.cache/cs_lab`` inside a cs_lab checkout (what ``make``
    uses too); else the user cache dir ($XDG_CACHE_HOME or ~/.cache)/cs_lab."""
    env = os.environ.get(CACHE_DIR_ENV)
    if env:
        return Path(env).expanduser()
    root = checkout_root()
    if root is not None:
        return root / ".cache" / "cs_lab"
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "cs_lab"


def checkout_root(start: Path | None = None) -> Path | None:
    """The cs_lab source checkout containing ``start`` (default: the current folder), if any:
    the nearest folder with a pyproject.toml naming the project ``cs_lab`` and a ``cs_lab/`` package."""
    here = (start or Path.cwd()).resolve()
    for d in (here, *here.parents):
        py = d / "pyproject.toml"
        if py.is_file() and (d / "cs_lab").is_dir():
            try:
                text = py.read_text(errors="replace")
            except OSError:
                return None
            return d if re.search(r'(?m)^name\s*=\s*"cs[_-]lab"', text) else None
    return None


def cache_key(name: str, source_sha256: dict[str, str], cleaning_version: str) -> str:
    blob = json.dumps({"name": name, "sources": source_sha256, "cleaning": cleaning_version}, sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def entry_dir(name: str, key: str, root: Path | None = None) -> Path:
    return (cache_dir() if root is None else root) / "datasets" / name / key


def write_atomic_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temp file + rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def write_parquet_atomic(df: pd.DataFrame, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        df.to_parquet(tmp, index=False)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def save(ds: Dataset, root: Path | None = None) -> Path:
    """Store ``ds`` in the cache; returns the entry folder."""
    key = cache_key(ds.name, ds.source_sha256, ds.cleaning_version)
    final = entry_dir(ds.name, key, root)
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=final.parent, prefix=f".{key}.", suffix=".tmp"))
    try:
        for t in TABLES:
            getattr(ds, t).to_parquet(tmp / f"{t}.parquet", index=False)
        meta = {"name": ds.name, "source_sha256": ds.source_sha256,
                "cleaning_version": ds.cleaning_version, "report": ds.report.to_dict()}
        (tmp / "meta.json").write_text(json.dumps(meta, indent=2))
        write_checksums(tmp)
        if final.exists():
            shutil.rmtree(final)
        os.replace(tmp, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return final


def remove_stale_tmp(root: Path, max_age: float = STALE_TMP_SECONDS) -> list[Path]:
    """Remove temp files and folders (names containing ".tmp") under ``root`` not modified for
    ``max_age`` seconds -- what a killed process leaves behind -- with a one-line message."""
    if not root.is_dir():
        return []
    now, gone = time.time(), []
    for here, dirs, files in os.walk(root):
        for name in [*dirs, *files]:
            p = Path(here) / name
            if ".tmp" not in name:
                continue
            try:
                if now - p.lstat().st_mtime < max_age:
                    continue
                if p.is_dir() and not p.is_symlink():
                    shutil.rmtree(p)
                else:
                    p.unlink()
                gone.append(p)
            except OSError:           # removed meanwhile, or not ours to remove
                continue
        dirs[:] = [d for d in dirs if ".tmp" not in d]
    if gone:
        log.warning("removed %d stale temp file(s)/folder(s) older than %.0f min under %s (left by a killed "
                    "process): %s", len(gone), max_age / 60, root, ", ".join(p.name for p in gone[:5]) +
                    (" ..." if len(gone) > 5 else ""))
    return gone


def load(name: str, key: str, root: Path | None = None) -> Dataset | None:
    """The cached dataset, or None when there is no complete entry (a damaged one is removed with
    a one-line warning, so the caller rebuilds it)."""
    d = entry_dir(name, key, root)
    if not (d / "meta.json").is_file():
        return None
    if not verify(d):
        why = ("its files do not match checksum.json: altered or damaged" if (d / CHECKSUMS).is_file()
               else "it has no checksum.json (made by an older cs_lab), so it cannot be verified")
        log.warning("cached dataset %s is not used (%s); rebuilding it", d, why)
        shutil.rmtree(d, ignore_errors=True)
        return None
    try:
        meta = json.loads((d / "meta.json").read_text())
        tables = {t: pd.read_parquet(d / f"{t}.parquet") for t in TABLES}
    except Exception as exc:  # noqa: BLE001 - truncated / corrupt entry: rebuild
        log.warning("cached dataset %s is damaged (%s: %s); rebuilding it", d, type(exc).__name__, exc)
        shutil.rmtree(d, ignore_errors=True)
        return None
    return Dataset(name=meta["name"], source_sha256=meta["source_sha256"],
                   cleaning_version=meta["cleaning_version"],
                   report=CleaningReport.from_dict(meta["report"]), **tables)


def entries(name: str, root: Path | None = None) -> list[Path]:
    d = (cache_dir() if root is None else root) / "datasets" / name
    return sorted(p for p in d.iterdir() if (p / "meta.json").is_file()) if d.is_dir() else []
