"""The Loader contract: locate raw files -> verify -> (cache hit | read -> clean) -> Dataset."""

from __future__ import annotations

import logging
import sys
import time
from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from cs_lab.data import cache, schema as S
from cs_lab.data.cleaning import CleaningReport
from cs_lab.data.dataset import Dataset, build_catalog
from cs_lab.data.sources import RawFile, data_dir, locate, present, verify

log = logging.getLogger(__name__)


@dataclass
class Cleaned:
    """What a loader's clean() returns."""

    lines: pd.DataFrame
    returns: pd.DataFrame | None = None
    descriptions: pd.Series | None = None  # item_id -> description


@dataclass(frozen=True)
class Source:
    """One logical input of a loader: a dataset folder and the files accepted for it."""

    key: str
    folder: str
    candidates: tuple[RawFile, ...]


class Loader(ABC):
    """Base class of every dataset loader.

    Subclasses set ``name``, ``cleaning_version``, ``sources`` and ``description``
    and implement ``read`` (raw files -> raw frame) and ``clean``.
    """

    name: str = ""
    description: str = ""
    cleaning_version: str = "1"
    sources: tuple[Source, ...] = ()

    # -- raw files --------------------------------------------------------
    def locate(self, root: Path | None = None, download: bool = True) -> dict[str, tuple[RawFile, Path]]:
        return {s.key: locate(s.folder, list(s.candidates), root=root, download=download) for s in self.sources}

    def raw_status(self, root: Path | None = None) -> dict[str, Path | None]:
        return {s.key: present(s.folder, list(s.candidates), root) for s in self.sources}

    def missing_raw(self, root: Path | None = None) -> str | None:
        """None when every raw file is present; else one line per missing source: the expected path and
        where to get it (the official URL, or how to obtain it by hand)."""
        base = data_dir() if root is None else Path(root)
        status = self.raw_status(root)   # a loader may find its files elsewhere (a package, ...)
        lines = []
        for s in self.sources:
            if status.get(s.key) is not None:
                continue
            paths = " or ".join(str(base / s.folder / rf.filename) for rf in s.candidates)
            urls = [rf.url for rf in s.candidates if rf.url]
            hows = [rf.how for rf in s.candidates if rf.how]
            where = f"download: {urls[0]}" if urls else (hows[0] if hows else "see docs/data.md")
            lines.append(f"{paths} ({where})")
        return "; ".join(lines) or None

    # -- subclass hooks ---------------------------------------------------
    @abstractmethod
    def read(self, files: dict[str, tuple[RawFile, Path]]) -> pd.DataFrame:
        """Read the raw files into one raw frame (original columns)."""

    @abstractmethod
    def clean(self, raw: pd.DataFrame, report: CleaningReport) -> Cleaned:
        """Turn the raw frame into canonical lines (+ returns, descriptions), recording each step."""

    # -- the pipeline -----------------------------------------------------
    def checksums(self, files: dict[str, tuple[RawFile, Path]]) -> dict[str, str]:
        return {key: verify(rf, path) for key, (rf, path) in files.items()}

    def prepare(self, *, root: Path | None = None, cache_root: Path | None = None, force: bool = False,
                use_cache: bool = True, progress: bool = True) -> Dataset:
        """The prepared Dataset, from the cache when its key matches, else built and cached."""
        step = _Steps(self.name, progress)
        step("locating raw files")
        files = self.locate(root)
        step("verifying sha256")
        sums = self.checksums(files)
        key = cache.cache_key(self.name, sums, self.cleaning_version)
        if use_cache and not force:
            hit = cache.load(self.name, key, cache_root)
            if hit is not None:
                step.done("loaded from cache")
                return hit
        step("reading raw files")
        raw = self.read(files)
        step(f"cleaning {len(raw):,} rows")
        ds = self.build(raw, sums)
        if use_cache:
            step("writing cache")
            cache.save(ds, cache_root)
        step.done("prepared")
        return ds

    def build(self, raw: pd.DataFrame, sums: dict[str, str] | None = None) -> Dataset:
        report = CleaningReport(raw_rows=len(raw))
        cleaned = self.clean(raw, report)
        lines = S.conform_lines(cleaned.lines, source=self.name)
        lines = lines.sort_values([S.TIMESTAMP, S.BASKET, S.ITEM], kind="stable").reset_index(drop=True)
        returns = (S.conform_returns(cleaned.returns, source=self.name)
                   if cleaned.returns is not None else S.empty_returns())
        catalog = build_catalog(lines, cleaned.descriptions)
        return Dataset(name=self.name, lines=lines, catalog=catalog, returns=returns, report=report,
                       source_sha256=sums or {}, cleaning_version=self.cleaning_version)


class _Steps:
    """Minimal progress for the few coarse steps of preparing a dataset (stderr, with timings)."""

    def __init__(self, name: str, enabled: bool) -> None:
        self.name, self.enabled, self.t0 = name, enabled and sys.stderr.isatty(), time.perf_counter()

    def __call__(self, what: str) -> None:
        if self.enabled:
            print(f"\r[{self.name}] {what} ... ({time.perf_counter() - self.t0:.1f}s)\033[K", end="",
                  file=sys.stderr, flush=True)

    def done(self, what: str) -> None:
        if self.enabled:
            print(f"\r[{self.name}] {what} in {time.perf_counter() - self.t0:.2f}s\033[K", file=sys.stderr)
