"""Where raw files live, how they are verified, and where they come from.

Raw data is looked up in ``$CS_LAB_DATA_DIR/<dataset>/<file>``. Each known file
carries its official download URL and a pinned sha256. A file that is absent
is downloaded only when the network answers (and CS_LAB_OFFLINE is not set);
otherwise the error says which file to put where.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from cs_lab.errors import ChecksumError, MissingDataError

DATA_DIR_ENV = "CS_LAB_DATA_DIR"
OFFLINE_ENV = "CS_LAB_OFFLINE"


def data_dir() -> Path:
    """The raw data folder: $CS_LAB_DATA_DIR, else ./data."""
    return Path(os.environ.get(DATA_DIR_ENV) or "data").expanduser()


@dataclass(frozen=True)
class RawFile:
    """One published file of a dataset.

    filename  name inside ``<data dir>/<dataset>/``
    fmt       csv | csv.gz | zip | xlsx | basket-csv.gz ...  (how to read it)
    sha256    pinned checksum of the file as published (None: not pinned, row counts verify it)
    url       official download URL (None: no direct download; ``how`` explains)
    rows      data rows expected (header excluded)
    how       what to do to obtain the file by hand
    """

    filename: str
    fmt: str
    sha256: str | None
    url: str | None = None
    rows: int | None = None
    how: str = ""


def sha256_of(path: Path, chunk: int = 1 << 20) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            h.update(block)
    return h.hexdigest()


def _download(url: str, dest: Path, timeout: float = 20.0) -> bool:
    """Best effort download to ``dest`` (atomic). False when the network does not answer."""
    if os.environ.get(OFFLINE_ENV, "").lower() in ("1", "true", "yes"):
        return False
    created = _missing_parents(dest.parent)
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=".download-", suffix=".part")
    ok = False
    try:
        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(url, timeout=timeout) as resp:
            shutil.copyfileobj(resp, out)
        os.replace(tmp, dest)
        ok = True
        return True
    except OSError:
        return False
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
        if not ok:  # a failed download leaves no folder behind
            for d in created:
                try:
                    d.rmdir()
                except OSError:
                    break


def _missing_parents(folder: Path) -> list[Path]:
    """The folders ``mkdir(parents=True)`` would create for ``folder``, deepest first."""
    out = []
    while not folder.exists() and folder != folder.parent:
        out.append(folder)
        folder = folder.parent
    return out


def locate(dataset: str, candidates: list[RawFile], *, root: Path | None = None,
           download: bool = True) -> tuple[RawFile, Path]:
    """Find the first candidate present under ``root/dataset``; else try to download one.

    Raises MissingDataError naming every accepted file and where to put it.
    """
    root = data_dir() if root is None else Path(root)
    folder = root / dataset
    for rf in candidates:
        p = folder / rf.filename
        if p.is_file():
            return rf, p
    if download:
        for rf in candidates:
            if rf.url and _download(rf.url, folder / rf.filename):
                return rf, folder / rf.filename
    accepted = "\n".join(
        f"  - {folder / rf.filename}" + (f"  (from {rf.url})" if rf.url else "") + (f"  {rf.how}" if rf.how else "")
        for rf in candidates)
    raise MissingDataError(
        f"dataset {dataset!r}: no raw file found and no download possible. Put one of these files in place "
        f"(or set {DATA_DIR_ENV} to the folder that holds '{dataset}/'):\n{accepted}")


def present(dataset: str, candidates: list[RawFile], root: Path | None = None) -> Path | None:
    root = data_dir() if root is None else Path(root)
    for rf in candidates:
        p = root / dataset / rf.filename
        if p.is_file():
            return p
    return None


def verify(rf: RawFile, path: Path) -> str:
    """Check the pinned sha256; return the file's sha256."""
    digest = sha256_of(path)
    if rf.sha256 is not None and digest != rf.sha256:
        raise ChecksumError(
            f"sha256 is {digest}, expected {rf.sha256}: the file is truncated, corrupted or a different version",
            file=str(path), hint="replace it with the published file (see docs/data.md) or delete it to re-download")
    return digest


def check_rows(rf: RawFile, path: Path, n: int, what: str = "data rows") -> None:
    """DataError when a file's row count differs from the published one (truncated or another version)."""
    if rf.rows is not None and n != rf.rows:
        from cs_lab.errors import DataError

        raise DataError(f"{n:,} {what}, expected {rf.rows:,}", file=str(path),
                        hint="the file is truncated or a different version")
