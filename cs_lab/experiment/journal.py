"""Integrity of Optuna journal files: a sidecar ``<journal>.sum`` holding the end offset and a
checksum of every committed journal line, kept under the journal lock and checked on open.

A journal is a list of operations, one JSON object a line, replayed in order; any prefix of it is
a study as it was at some moment (a trial created in it but never finished is RUNNING, then
marked FAIL and re-run). So the repair for a damaged or altered journal is to cut it at its last
good line: the operations after it are re-run (same seeds, same proposals: docs/failure_modes.md).

The sidecar has one fixed-width record per journal line, ``"<end offset:012d> <digest>\\n"``,
``digest`` = the first 16 hex digits of the sha256 of the line's bytes (with its newline). Records
are compared by position, so an altered, deleted, inserted or reordered line mismatches at the
first line that differs. It detects damage and accidental edits; it is not a signature (someone
who rewrites both files can forge it).

:func:`repair` (called on open, under the lock):

- recorded lines are checked against their records; at the first mismatch the journal is cut
  there (the dropped bytes are appended to ``<journal>.dropped`` for inspection);
- lines after the last record (a process killed between its append and its record, or a journal
  made without a sidecar) are adopted if they are complete JSON objects with an ``op_code``, and
  the journal is cut at the first one that is not (this covers a cut last line);
- records beyond the journal's end (lines lost at the end) are dropped;

each with a one-line warning. :class:`ChecksummedJournalFileBackend` appends the records of every
append, under the same lock, right after Optuna's own append.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from optuna.storages.journal import JournalFileBackend

from cs_lab._faults import kill_point
from optuna.storages.journal._file import BaseJournalFileLock  # public base, private module

log = logging.getLogger(__name__)

SUFFIX = ".sum"
DROPPED_SUFFIX = ".dropped"
DIGITS = 16
RECORD = 12 + 1 + DIGITS + 1          # "<end:012d> <digest>\n"


def sidecar_of(journal: Path) -> Path:
    return journal.with_name(journal.name + SUFFIX)


def digest_of(line: bytes) -> str:
    """The record digest of journal ``line`` (with its newline)."""
    return hashlib.sha256(line).hexdigest()[:DIGITS]


def _record(end: int, digest: str) -> bytes:
    return f"{end:012d} {digest}\n".encode()


def read_records(sidecar: Path) -> tuple[list[tuple[int, str]], bool]:
    """The well-formed records of ``sidecar`` (up to the first malformed one) and whether all were
    (a cut last record, left by a kill while it was written, is dropped without counting as damage)."""
    try:
        data = sidecar.read_bytes()
    except FileNotFoundError:
        return [], True
    out = []
    for i in range(0, len(data), RECORD):
        rec = data[i:i + RECORD]
        if len(rec) < RECORD and i + RECORD > len(data):
            return out, True                            # the last record cut by a kill: not damage
        try:
            end, digest = rec.decode("ascii").rstrip("\n").split(" ")
            if len(rec) != RECORD or not rec.endswith(b"\n") or len(digest) != DIGITS:
                raise ValueError
            int(digest, 16)
            out.append((int(end), digest))
        except ValueError:
            return out, False
    return out, True


def is_operation(line: bytes) -> bool:
    """A complete journal line: newline-terminated JSON object with an ``op_code``."""
    if not line.endswith(b"\n"):
        return False
    try:
        op = json.loads(line)
    except ValueError:
        return False
    return isinstance(op, dict) and "op_code" in op


@dataclass
class Check:
    """What :func:`check` found: keep the first ``keep_bytes`` of the journal, described by ``records``."""
    keep_bytes: int
    size: int
    lines: int = 0
    records: list[tuple[int, str]] = field(default_factory=list)
    had_sidecar: bool = True
    mismatch_line: int | None = None      # first recorded line that does not match (0-based)
    bad_tail_line: int | None = None      # first unrecorded line that is not an operation
    adopted: int = 0                      # unrecorded good lines taken in
    lost_records: int = 0                 # records beyond the journal's end
    malformed_sidecar: bool = False


def check(journal: Path) -> Check:
    """Compare ``journal`` with its sidecar; nothing is changed."""
    sidecar = sidecar_of(journal)
    recorded, well_formed = read_records(sidecar)
    size = journal.stat().st_size if journal.exists() else 0
    c = Check(keep_bytes=0, size=size, had_sidecar=sidecar.exists(), malformed_sidecar=not well_formed)
    pos = 0
    if size:
        with open(journal, "rb") as f:
            for i, line in enumerate(f):
                if i < len(recorded):
                    digest = digest_of(line)
                    if (pos + len(line), digest) != recorded[i]:
                        c.mismatch_line = i
                        break
                elif is_operation(line):
                    digest = digest_of(line)
                    c.adopted += 1
                else:
                    c.bad_tail_line = i
                    break
                pos += len(line)
                c.records.append((pos, digest))
                c.lines = i + 1
    c.keep_bytes = pos
    if c.mismatch_line is None and c.bad_tail_line is None:
        c.lost_records = max(0, len(recorded) - c.lines)
    return c


def repair(journal: Path, lock: BaseJournalFileLock) -> Check:
    """Check ``journal`` under ``lock`` and make it and its sidecar agree: cut the journal at its
    first bad line, adopt good unrecorded lines, drop records of lost lines; one warning a finding."""
    journal = Path(journal)
    if not journal.exists() and not sidecar_of(journal).exists():
        return Check(keep_bytes=0, size=0)
    lock.acquire()
    try:
        c = check(journal)
        _report(journal, c)
        if c.keep_bytes < c.size:
            with open(journal, "rb+") as f:
                f.seek(c.keep_bytes)
                dropped = f.read()
                _append(journal.with_name(journal.name + DROPPED_SUFFIX), dropped)
                f.truncate(c.keep_bytes)
                f.flush()
                os.fsync(f.fileno())
        expected = b"".join(_record(e, d) for e, d in c.records)
        sidecar = sidecar_of(journal)
        current = sidecar.read_bytes() if sidecar.exists() else None
        if current != expected and (journal.exists() or current):
            _write_atomic(sidecar, expected)
        return c
    finally:
        lock.release()


def _report(journal: Path, c: Check) -> None:
    dropped = c.size - c.keep_bytes
    where = f"{journal}{DROPPED_SUFFIX}"
    if c.mismatch_line is not None:
        log.warning("%s: line %d does not match its checksum record in %s (altered or damaged); the journal "
                    "is cut before it (%d byte(s) moved to %s): the trials after it are re-run",
                    journal, c.mismatch_line + 1, sidecar_of(journal).name, dropped, where)
    elif c.bad_tail_line is not None:
        log.warning("%s: line %d is not a complete journal operation (cut by a kill while being written, or "
                    "damaged); the journal is cut before it (%d byte(s) moved to %s)",
                    journal, c.bad_tail_line + 1, dropped, where)
    if not c.had_sidecar and c.lines:
        log.warning("%s: no checksum record %s (journal made by an older cs_lab or another tool); its %d "
                    "line(s) were checked to be journal operations and are recorded from now on",
                    journal, sidecar_of(journal).name, c.lines)
    if c.lost_records:
        log.warning("%s: %d recorded line(s) are missing at the end of the journal (lost or restored from an "
                    "older copy); continuing from the %d line(s) present", journal, c.lost_records, c.lines)
    if c.malformed_sidecar and c.had_sidecar:
        log.warning("%s: its checksum record %s has a damaged entry; the lines from there on were checked "
                    "to be journal operations and are recorded again", journal, sidecar_of(journal).name)


def _append(path: Path, data: bytes) -> None:
    with open(path, "ab") as f:
        f.write(data)


def _write_atomic(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def extend_records(journal: Path) -> None:
    """Record the journal lines after the last record (call under the journal lock). Stops at a line
    that is not a complete operation: :func:`repair` deals with it on the next open."""
    sidecar = sidecar_of(journal)
    with open(sidecar, "ab+") as side:
        size = side.seek(0, os.SEEK_END)
        if size % RECORD:                               # a record cut by a kill: drop it
            size -= size % RECORD
            side.truncate(size)
        end = 0
        if size:
            side.seek(size - RECORD)
            end = int(side.read(RECORD).decode("ascii").split()[0])
        new = []
        with open(journal, "rb") as f:
            f.seek(end)
            for line in f:
                if not is_operation(line):
                    break
                end += len(line)
                new.append(_record(end, digest_of(line)))
        side.seek(0, os.SEEK_END)
        side.write(b"".join(new))
        # not fsynced (the journal line is): after a power loss the records may lag or end in
        # garbage, and the lines after them are then checked as unrecorded lines on the next open


class ChecksummedJournalFileBackend(JournalFileBackend):
    """Optuna's journal file backend that, under the same lock, records every appended line in the
    sidecar (:func:`extend_records`). The journal itself stays a plain Optuna journal."""

    def __init__(self, file_path: str, lock_obj: BaseJournalFileLock) -> None:
        super().__init__(file_path, lock_obj=lock_obj)
        self._journal, self._lock_obj = Path(file_path), lock_obj

    def append_logs(self, logs: list[dict]) -> None:
        data = ("\n".join(json.dumps(op, separators=(",", ":")) for op in logs) + "\n").encode("utf-8")
        self._lock_obj.acquire()
        try:
            with open(self._journal, "ab") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            kill_point("journal.append")     # test-only (cs_lab/_faults.py): appended, not yet recorded
            extend_records(self._journal)
        finally:
            self._lock_obj.release()
