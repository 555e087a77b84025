"""Every exception and warning type cs_lab raises.

Each user-facing error says what was wrong, where (file, row, column or config
key) and what to do about it.
"""

from __future__ import annotations


class CsLabError(Exception):
    """Base class of every error raised by cs_lab."""


class ConfigError(CsLabError, ValueError):
    """A config or spec is invalid (unknown key, wrong type, bad value)."""


class DataError(CsLabError, ValueError):
    """Input data is malformed: missing column, wrong type, bad values."""

    def __init__(self, message: str, *, file: str | None = None, row: int | None = None,
                 column: str | None = None, hint: str | None = None) -> None:
        where = []
        if file is not None:
            where.append(f"file {file}")
        if row is not None:
            where.append(f"row {row}")
        if column is not None:
            where.append(f"column {column!r}")
        text = message
        if where:
            text = f"{', '.join(where)}: {message}"
        if hint:
            text = f"{text}. {hint}"
        super().__init__(text)
        self.file, self.row, self.column, self.hint = file, row, column, hint


class MissingDataError(CsLabError, FileNotFoundError):
    """A raw data file is absent and could not be downloaded."""


class ChecksumError(DataError):
    """A raw file's sha256 does not match the pinned checksum (truncated or corrupted)."""


class LeakageError(CsLabError, AssertionError):
    """A split would let test-period information reach training."""


class NotFittedError(CsLabError, RuntimeError):
    """A model was used before fit() (or load())."""


class OptionalDependencyError(CsLabError, ImportError):
    """An optional dependency is missing; the message says what to install."""


class CsLabWarning(UserWarning):
    """Base class of warnings emitted by cs_lab."""
