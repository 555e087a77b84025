"""Readers for the published raw formats: .csv, .csv.gz, .zip (csv or xlsx inside), .xlsx.

All readers return a DataFrame of the columns asked for. Malformed input raises
DataError naming the file, and the row where it can be found.
"""

from __future__ import annotations

import gzip
import io
import zipfile
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from cs_lab.errors import DataError


def _open_bytes(path: Path) -> bytes:
    data = path.read_bytes()
    if path.suffix == ".gz":
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError) as exc:
            raise DataError(f"not a valid gzip file ({exc})", file=str(path),
                            hint="the file is truncated or corrupted; replace it") from exc
    return data


def read_csv_bytes(data: bytes, source: str, column_types: dict[str, pa.DataType] | None = None,
                   header: bool = True, column_names: list[str] | None = None,
                   encoding: str = "utf-8") -> pd.DataFrame:
    """Parse CSV bytes with pyarrow (fast); errors name ``source`` and the row."""
    if not data.strip():
        raise DataError("file is empty", file=source, hint="expected a header line and data rows")
    if encoding.lower().replace("_", "-") not in ("utf-8", "utf8"):
        data = data.decode(encoding).encode("utf-8")
    else:
        try:
            data.decode("utf-8")
        except UnicodeDecodeError as exc:
            row = data[: exc.start].count(b"\n") + (0 if header else 1)
            raise DataError("text is not valid UTF-8", file=source, row=row,
                            hint="re-encode the file as UTF-8, or set 'encoding' in the column mapping") from exc
    read_opts = pacsv.ReadOptions(autogenerate_column_names=not header and column_names is None,
                                  column_names=column_names, block_size=1 << 24)
    convert = pacsv.ConvertOptions(column_types=column_types or {}, strings_can_be_null=True,
                                   quoted_strings_can_be_null=True)
    try:
        table = pacsv.read_csv(io.BytesIO(data), read_options=read_opts, convert_options=convert,
                               parse_options=pacsv.ParseOptions(newlines_in_values=False))
    except pa.ArrowInvalid as exc:
        msg = str(exc)
        if "CSV conversion error" in msg or "conversion" in msg.lower():
            raise DataError(f"a value has the wrong type: {msg}", file=source,
                            hint="fix the value or the column's type in the mapping") from exc
        raise DataError(f"cannot parse CSV: {msg}", file=source) from exc
    return table.to_pandas(types_mapper=_types_mapper)


def _types_mapper(t: pa.DataType):
    if pa.types.is_string(t) or pa.types.is_large_string(t):
        return pd.StringDtype("pyarrow")
    return None


def read_xlsx(data: bytes | Path, source: str, sheet: str | None = None) -> pd.DataFrame:
    """Read one sheet of an .xlsx with python-calamine (fast); all cells as Python values."""
    from python_calamine import CalamineWorkbook

    try:
        wb = (CalamineWorkbook.from_path(str(data)) if isinstance(data, Path)
              else CalamineWorkbook.from_filelike(io.BytesIO(data)))
        names = wb.sheet_names
        name = sheet if sheet is not None else names[0]
        if name not in names:
            raise DataError(f"no sheet {name!r}; sheets are {names}", file=source)
        rows = wb.get_sheet_by_name(name).to_python(skip_empty_area=True)
    except DataError:
        raise
    except Exception as exc:  # calamine raises its own error types
        raise DataError(f"cannot read xlsx: {exc}", file=source,
                        hint="the file is truncated or corrupted; replace it") from exc
    if not rows:
        raise DataError(f"sheet {name!r} is empty", file=source)
    header = [str(h) for h in rows[0]]
    return pd.DataFrame(rows[1:], columns=header)


def xlsx_sheet_names(data: bytes | Path) -> list[str]:
    from python_calamine import CalamineWorkbook

    wb = (CalamineWorkbook.from_path(str(data)) if isinstance(data, Path)
          else CalamineWorkbook.from_filelike(io.BytesIO(data)))
    return list(wb.sheet_names)


def zip_member(path: Path, suffixes: tuple[str, ...]) -> tuple[str, bytes]:
    """The first member of a zip whose name ends with one of ``suffixes``."""
    try:
        with zipfile.ZipFile(path) as zf:
            for info in zf.infolist():
                if info.filename.lower().endswith(suffixes) and not info.filename.startswith("__MACOSX"):
                    return info.filename, zf.read(info)
    except zipfile.BadZipFile as exc:
        raise DataError(f"not a valid zip file ({exc})", file=str(path),
                        hint="the file is truncated or corrupted; replace it") from exc
    raise DataError(f"no member ending with {suffixes} in the zip", file=str(path))


def read_tabular(path: Path, column_types: dict[str, pa.DataType] | None = None,
                 sheet: str | None = None, encoding: str = "utf-8") -> pd.DataFrame:
    """Read .csv, .csv.gz, .parquet, .xlsx or .zip (first csv/xlsx member) into a DataFrame."""
    name = path.name.lower()
    if name.endswith(".parquet"):
        try:
            return pd.read_parquet(path)
        except Exception as exc:
            raise DataError(f"cannot read Parquet: {exc}", file=str(path)) from exc
    if name.endswith(".xlsx"):
        return read_xlsx(path, str(path), sheet)
    if name.endswith(".zip"):
        member, data = zip_member(path, (".csv", ".xlsx"))
        src = f"{path}!{member}"
        if member.lower().endswith(".xlsx"):
            return read_xlsx(data, src, sheet)
        return read_csv_bytes(data, src, column_types, encoding=encoding)
    if name.endswith(".csv") or name.endswith(".csv.gz") or name.endswith(".txt") or name.endswith(".txt.gz"):
        return read_csv_bytes(_open_bytes(path), str(path), column_types, encoding=encoding)
    raise DataError("unsupported file type", file=str(path),
                    hint="use .csv, .csv.gz, .parquet, .xlsx or .zip")
