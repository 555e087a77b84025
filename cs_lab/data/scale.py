"""Scale a prepared dataset up to N purchase lines by resampling households.

``scale_lines`` draws households (the "units") with replacement, seeded by
``numpy.random.default_rng(seed)``. Draw number ``k`` (0, 1, 2, ... over the whole output)
copies *every* line of the drawn household and gives the copy

- customer id ``f"{customer}~{k}"`` and basket ids ``f"{basket}~{k}"`` (unique across the
  output: ``k`` is unique and contains no ``~``, so an id splits back into (source id, k)
  at its last ``~``);
- all its timestamps shifted by the same whole number of weeks, drawn uniformly in
  ``[-max_shift_weeks, max_shift_weeks]`` (whole weeks keep weekday and hour patterns);
- every other column (item, quantity, prices, discount, store, categories) unchanged.

An anonymous basket (customer ``<NA>``) is a unit of its own; its copies keep ``<NA>``.

Line accounting: drawing stops at the first draw whose lines bring the total to at least
``target_lines``, so ``target_lines <= n_lines < target_lines + (lines of the last unit drawn)``,
i.e. less than the target plus the largest household.

Draws are made in fixed-size batches, so the draw sequence depends only on the seed and
the source: the output for a smaller target is a prefix of the output for a larger one.
Output rows are grouped by draw (in source order within a draw), not sorted by time.

Memory: the source once as an Arrow table (zero-copy over the pandas frame) plus one
chunk of ``chunk_lines`` lines (plus one household); the scaled table is never built.

``write_scaled`` streams the chunks into one Parquet file (a temp file renamed at the end)
with a JSON sidecar ``<out>.json``. Timestamps are stored as microseconds (Spark cannot read
Parquet nanosecond timestamps), so ``pd.read_parquet`` returns ``datetime64[us]``:
``read_scaled`` reads the file back as canonical lines.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from cs_lab.data import schema as S
from cs_lab.data.cache import write_atomic_bytes
from cs_lab.errors import ConfigError, DataError

GENERATOR_VERSION = "1"
SEPARATOR = "~"
DRAW_BATCH = 65_536          # draws per RNG call (fixed: the draw sequence must not depend on the target)
WEEK_NS = 7 * 86_400 * 10**9
TIMESTAMP_UNIT = "us"        # unit of the timestamps in the Parquet file


@dataclass(frozen=True)
class _Units:
    """The source grouped once by unit (household, or anonymous basket)."""

    table: pa.Table              # the source lines (canonical columns), one chunk per column
    order: np.ndarray            # row indices sorted by unit (source order within a unit)
    indptr: np.ndarray           # (n_units + 1,): rows of unit u are order[indptr[u]:indptr[u + 1]]
    sizes: np.ndarray            # (n_units,) lines per unit
    customer: pa.Array           # (n_units,) customer id, null for anonymous baskets
    anonymous: np.ndarray        # (n_units,) True for anonymous baskets
    n_baskets: np.ndarray        # (n_units,) distinct baskets per unit
    item_codes: np.ndarray       # (n_rows,) item code per source row
    n_items: int


@dataclass(frozen=True)
class _Draws:
    unit: np.ndarray             # (n_draws,) drawn unit
    shift_weeks: np.ndarray      # (n_draws,) whole weeks added to the copy's timestamps
    ends: np.ndarray             # (n_draws,) cumulative lines after each draw


@dataclass
class ScaleReport:
    """What ``write_scaled`` wrote (also the content of the JSON sidecar)."""

    path: str
    n_lines: int
    n_customers: int             # distinct customers (household copies) in the output
    n_baskets: int
    n_items: int
    n_draws: int                 # household copies + anonymous-basket copies
    time_min: str | None
    time_max: str | None
    target_lines: int
    seed: int
    max_shift_weeks: int
    source: dict[str, object] = field(default_factory=dict)
    seconds: float = 0.0
    bytes: int = 0
    timestamp_unit: str = TIMESTAMP_UNIT
    generator_version: str = GENERATOR_VERSION

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


def _check(target_lines: int, seed: int, max_shift_weeks: int, chunk_lines: int) -> None:
    if int(target_lines) != target_lines or target_lines < 1:
        raise ConfigError(f"target_lines must be a positive integer, got {target_lines!r}")
    if int(seed) != seed or seed < 0:
        raise ConfigError(f"seed must be an integer >= 0, got {seed!r}")
    if int(max_shift_weeks) != max_shift_weeks or max_shift_weeks < 0:
        raise ConfigError(f"max_shift_weeks must be an integer >= 0, got {max_shift_weeks!r}")
    if int(chunk_lines) != chunk_lines or chunk_lines < 1:
        raise ConfigError(f"chunk_lines must be a positive integer, got {chunk_lines!r}")


def _units(lines: pd.DataFrame) -> _Units:
    if len(lines) == 0:
        raise DataError("cannot scale an empty dataset", file="<lines>")
    lines = S.conform_lines(lines, source="<lines>")
    cust_codes, cust_ids = pd.factorize(lines[S.CUSTOMER], sort=True)   # <NA> -> -1
    basket_codes, basket_ids = pd.factorize(lines[S.BASKET], sort=False)
    item_codes, item_ids = pd.factorize(lines[S.ITEM], sort=False)
    n_cust = len(cust_ids)
    unit = cust_codes.astype(np.int64)
    anon = unit < 0
    n_anon = 0
    if anon.any():  # each anonymous basket is a unit of its own, numbered after the customers
        anon_codes, anon_ids = pd.factorize(lines[S.BASKET][anon], sort=True)
        unit[anon] = n_cust + anon_codes
        n_anon = len(anon_ids)
    n_units = n_cust + n_anon
    order = np.argsort(unit, kind="stable")
    sizes = np.bincount(unit, minlength=n_units)
    indptr = np.zeros(n_units + 1, dtype=np.int64)
    np.cumsum(sizes, out=indptr[1:])
    pairs = np.unique(unit * len(basket_ids) + basket_codes)
    n_baskets = np.bincount(pairs // len(basket_ids), minlength=n_units)
    customer = pa.concat_arrays([pa.array(np.asarray(cust_ids, dtype=object), pa.large_string()),
                                 pa.nulls(n_anon, pa.large_string())])
    table = pa.Table.from_pandas(lines, preserve_index=False).combine_chunks()
    anonymous = np.arange(n_units) >= n_cust
    return _Units(table, order, indptr, sizes, customer, anonymous, n_baskets, item_codes, len(item_ids))


def _draw(units: _Units, target_lines: int, seed: int, max_shift_weeks: int) -> _Draws:
    """Draw units until the lines reach ``target_lines`` (the draw reaching it included)."""
    rng = np.random.default_rng(seed)
    sizes = units.sizes
    n_units = len(sizes)
    u_parts, s_parts, e_parts = [], [], []
    total = 0
    while total < target_lines:
        u = rng.integers(0, n_units, DRAW_BATCH)
        s = rng.integers(-max_shift_weeks, max_shift_weeks + 1, DRAW_BATCH)
        ends = total + np.cumsum(sizes[u])
        stop = int(np.searchsorted(ends, target_lines, side="left"))  # first draw with ends >= target
        if stop < DRAW_BATCH:
            u, s, ends = u[:stop + 1], s[:stop + 1], ends[:stop + 1]
        u_parts.append(u)
        s_parts.append(s)
        e_parts.append(ends)
        total = int(ends[-1])
    return _Draws(np.concatenate(u_parts), np.concatenate(s_parts), np.concatenate(e_parts))


def _chunk_bounds(ends: np.ndarray, chunk_lines: int) -> Iterator[tuple[int, int]]:
    """Consecutive draw ranges of about ``chunk_lines`` lines (a draw is never split)."""
    d0, done = 0, 0
    while d0 < len(ends):
        d1 = max(int(np.searchsorted(ends, done + chunk_lines, side="right")), d0 + 1)
        yield d0, d1
        done = int(ends[d1 - 1])
        d0 = d1


def _chunk(units: _Units, draws: _Draws, d0: int, d1: int) -> tuple[pa.Table, np.ndarray]:
    """Lines of draws ``d0..d1-1`` (and the source rows they copy)."""
    u = draws.unit[d0:d1]
    sizes = units.sizes[u]
    n = int(sizes.sum())
    local = np.repeat(np.arange(d1 - d0), sizes)             # draw (within the chunk) of each line
    first = np.cumsum(sizes) - sizes                         # first line of each draw in the chunk
    rows = units.order[np.arange(n) + np.repeat(units.indptr[u] - first, sizes)]
    t = units.table.take(pa.array(rows))
    sep = pa.scalar(SEPARATOR, pa.large_string())
    k = pa.array(np.arange(d0, d1, dtype=np.int64)).cast(pa.large_string())
    local_a = pa.array(local)
    customer = pc.binary_join_element_wise(units.customer.take(pa.array(u)), k, sep).take(local_a)
    basket = pc.binary_join_element_wise(t.column(S.BASKET), k.take(local_a), sep)
    shift = pa.array(np.repeat(draws.shift_weeks[d0:d1].astype(np.int64) * WEEK_NS, sizes), pa.duration("ns"))
    ts = pc.add(t.column(S.TIMESTAMP), shift)
    names = t.column_names
    t = t.set_column(names.index(S.CUSTOMER), S.CUSTOMER, customer)
    t = t.set_column(names.index(S.BASKET), S.BASKET, basket)
    t = t.set_column(names.index(S.TIMESTAMP), S.TIMESTAMP, ts)
    return t, rows


def _scale(units: _Units, draws: _Draws, chunk_lines: int) -> Iterator[tuple[pa.Table, np.ndarray]]:
    for d0, d1 in _chunk_bounds(draws.ends, chunk_lines):
        yield _chunk(units, draws, d0, d1)


def scale_lines(lines: pd.DataFrame, target_lines: int, seed: int, max_shift_weeks: int = 26,
                chunk_lines: int = 2_000_000) -> Iterator[pa.Table]:
    """Canonical ``lines`` resampled by household to at least ``target_lines`` lines, in chunks.

    Returns an iterator of Arrow tables with the canonical columns and types of the source
    (timestamps in ns; ``table.to_pandas()`` gives canonical dtypes), each of about
    ``chunk_lines`` lines (households are not split, so a chunk can exceed it by less than
    one household). Arguments are checked and the draws made before it returns.
    See the module docstring for ids, date shifts and line accounting.
    """
    _check(target_lines, seed, max_shift_weeks, chunk_lines)
    units = _units(lines)
    draws = _draw(units, target_lines, seed, max_shift_weeks)
    return (t for t, _ in _scale(units, draws, chunk_lines))


def write_scaled(lines: pd.DataFrame, target_lines: int, out: Path | str, seed: int, *,
                 max_shift_weeks: int = 26, chunk_lines: int = 2_000_000,
                 source: dict[str, object] | None = None, compression: str = "zstd",
                 progress: bool = True) -> ScaleReport:
    """Write ``scale_lines(...)`` to the Parquet file ``out`` plus the sidecar ``<out>.json``.

    The file is written to a temp file in the same folder and renamed when complete (an
    existing ``out`` is replaced); on any error or Ctrl-C nothing is left behind. ``source``
    (e.g. ``{"dataset": name, "cache_key": key}``) is recorded in the sidecar.
    """
    from tqdm.auto import tqdm

    t0 = time.perf_counter()
    _check(target_lines, seed, max_shift_weeks, chunk_lines)
    out = Path(out)
    units = _units(lines)
    draws = _draw(units, target_lines, seed, max_shift_weeks)
    n_lines = int(draws.ends[-1])
    seen_items = np.zeros(units.n_items, dtype=bool)
    tmin = tmax = None
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.", suffix=".tmp")
    os.close(fd)
    try:
        with pq.ParquetWriter(tmp, units.table.schema, compression=compression,
                              coerce_timestamps=TIMESTAMP_UNIT, allow_truncated_timestamps=True) as writer, \
                tqdm(total=n_lines, unit="line", unit_scale=True, disable=not progress,
                     desc=f"scaling to {out.name}") as bar:
            for t, rows in _scale(units, draws, chunk_lines):
                writer.write_table(t)
                seen_items[units.item_codes[rows]] = True
                mm = pc.min_max(t.column(S.TIMESTAMP))
                lo, hi = mm["min"].as_py(), mm["max"].as_py()
                if lo is not None:
                    tmin = lo if tmin is None else min(tmin, lo)
                    tmax = hi if tmax is None else max(tmax, hi)
                bar.update(t.num_rows)
                del t, rows
                pa.default_memory_pool().release_unused()  # keep RSS at one chunk, not the allocator's high mark
        src = {"lines": units.table.num_rows, "customers": int((~units.anonymous).sum()),
               "baskets": int(units.n_baskets.sum()), "items": units.n_items}
        report = ScaleReport(
            path=str(out), n_lines=n_lines, n_customers=int((~units.anonymous[draws.unit]).sum()),
            n_baskets=int(units.n_baskets[draws.unit].sum()), n_items=int(seen_items.sum()),
            n_draws=len(draws.unit), time_min=_iso(tmin), time_max=_iso(tmax), target_lines=int(target_lines),
            seed=int(seed), max_shift_weeks=int(max_shift_weeks), source={**(source or {}), **src},
            bytes=os.path.getsize(tmp))
        report.seconds = round(time.perf_counter() - t0, 3)
        sidecar = sidecar_path(out)
        if sidecar.exists():  # a sidecar, when present, always describes the Parquet file next to it
            sidecar.unlink()
        _chmod_default(tmp)
        os.replace(tmp, out)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    # written after the Parquet file: an interruption here leaves the file without a sidecar, never
    # a sidecar describing another file
    write_atomic_bytes(sidecar, (json.dumps(report.to_dict(), indent=2) + "\n").encode())
    _chmod_default(sidecar)
    return report


def _iso(t: object) -> str | None:
    return None if t is None else pd.Timestamp(t).isoformat()


def _chmod_default(path: Path | str) -> None:
    """Give a file made by ``mkstemp`` (mode 0600) the mode a plain ``open`` would have."""
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(path, 0o666 & ~umask)


def sidecar_path(out: Path | str) -> Path:
    """``<out>.json``, the sidecar describing a scaled Parquet file."""
    out = Path(out)
    return out.with_name(out.name + ".json")


def read_scaled(path: Path | str, columns: list[str] | None = None) -> pd.DataFrame:
    """A scaled file as canonical lines (timestamps back to ``datetime64[ns]``)."""
    df = pd.read_parquet(path, columns=columns)
    if columns is not None and not set(S.REQUIRED_LINE_COLUMNS) <= set(columns):
        return df.astype({c: S.LINE_DTYPES[c] for c in df.columns if c in S.LINE_DTYPES})
    return S.conform_lines(df, source=str(path))
