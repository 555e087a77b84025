"""Optuna journals carry a chained checksum record (<journal>.sum): a damaged, altered, shortened or
unrecorded journal is detected on open, cut at its last good line with a one-line warning (never a
traceback), and the study resumes to what an uninterrupted one gives."""

import json
import logging

import optuna
import pytest

import hashlib

from cs_lab.experiment.journal import RECORD, check, read_records, sidecar_of
from cs_lab.experiment.study import done_trials, fail_stale_trials, journal_storage, open_study

optuna.logging.set_verbosity(optuna.logging.WARNING)
BUDGET = 6


def objective(trial):
    x = trial.suggest_float("x", -5, 5)
    y = trial.suggest_int("y", 1, 50, log=True)
    return -(x - 1) ** 2 - (y - 7) ** 2 / 10


def resume(path):
    """What the runner does on resume: open, fail stale trials, run to the budget."""
    study = open_study("s", journal_storage(path), ["maximize"], 0, False)
    fail_stale_trials(study)
    study.optimize(objective, n_trials=BUDGET - done_trials(study))
    return study


def completed(study):
    return [(t.params, t.value) for t in study.trials if t.state.name == "COMPLETE"]


@pytest.fixture
def whole(tmp_path):
    return completed(resume(tmp_path / "whole.journal"))


@pytest.fixture
def journal(tmp_path):
    path = tmp_path / "optuna.journal"
    study = open_study("s", journal_storage(path), ["maximize"], 0, False)
    study.optimize(objective, n_trials=4)
    return path


def lines_of(path):
    return path.read_bytes().splitlines(keepends=True)


def warnings_of(caplog):
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]


def test_every_line_is_recorded_and_a_clean_reopen_is_silent(journal, caplog):
    recs, ok = read_records(sidecar_of(journal))
    lines = lines_of(journal)
    assert ok and len(recs) == len(lines) > 4
    end = 0
    for (e, d), line in zip(recs, lines):                   # recomputed independently of journal.py
        end += len(line)
        assert (e, d) == (end, hashlib.sha256(line).hexdigest()[:16])
    with caplog.at_level(logging.WARNING):
        study = open_study("s", journal_storage(journal), ["maximize"], 0, False)
    assert not warnings_of(caplog) and len(study.trials) == 4


def corrupt(path, i, new):
    lines = lines_of(path)
    lines[i] = new(lines[i])
    path.write_bytes(b"".join(lines))
    return len(lines)


@pytest.mark.parametrize("damage", ["not json", "value altered", "line deleted", "lines swapped"])
def test_damaged_or_altered_line_is_cut_and_the_study_resumes_exactly(journal, whole, caplog, damage):
    lines = lines_of(journal)
    # a line in the middle: the completion of trial 1 (op_code 6 = set_trial_state_values)
    i = [k for k, ln in enumerate(lines) if json.loads(ln)["op_code"] == 6][1]
    if damage == "not json":
        lines[i] = lines[i][:5] + b"#" + lines[i][6:]
    elif damage == "value altered":             # still valid JSON, same length: a plausible lie
        op = json.loads(lines[i])
        text = json.dumps(op["values"][0])
        k = lines[i].index(text.encode()) + len(text) - 1           # the value's last digit
        lines[i] = lines[i][:k] + (b"1" if lines[i][k:k + 1] != b"1" else b"2") + lines[i][k + 1:]
        assert json.loads(lines[i])["values"] != op["values"]
    elif damage == "line deleted":
        del lines[i]
    else:
        lines[i], lines[i + 1] = lines[i + 1], lines[i]
    journal.write_bytes(b"".join(lines))
    with caplog.at_level(logging.WARNING):
        study = resume(journal)                              # no traceback
    msgs = warnings_of(caplog)
    cut = [m for m in msgs if f"line {i + 1} " in m and "cut before it" in m]
    assert len(cut) == 1 and "\n" not in cut[0], msgs
    assert completed(study) == whole                         # the cut trials re-run to the same result
    assert (journal.parent / "optuna.journal.dropped").read_bytes() == b"".join(lines[i:])
    c = check(journal)                                       # and the journal is whole again
    assert c.mismatch_line is None and c.bad_tail_line is None and c.keep_bytes == c.size


def test_unrecorded_tail_from_a_kill_between_append_and_record_is_adopted(journal, caplog):
    """A process killed after its journal append, before its record: the complete lines are kept."""
    side = sidecar_of(journal)
    side.write_bytes(side.read_bytes()[:-3 * RECORD - 7])    # 3 records lost, the 4th cut mid-way
    with caplog.at_level(logging.WARNING):
        study = open_study("s", journal_storage(journal), ["maximize"], 0, False)
    assert len(study.trials) == 4 and done_trials(study) == 4
    assert len(read_records(side)[0]) == len(lines_of(journal))
    assert not warnings_of(caplog)                           # an ordinary kill: nothing to report


def test_cut_last_line_is_dropped(journal, whole, caplog):
    with open(journal, "ab") as f:
        f.write(b'{"op_code": 4, "worker_id": "x", "trial_id"')    # killed mid-append
    with caplog.at_level(logging.WARNING):
        study = resume(journal)
    assert any("not a complete journal operation" in m for m in warnings_of(caplog))
    assert completed(study) == whole


def test_journal_without_record_is_adopted_once(journal, caplog):
    """A journal from before the records existed (or written by plain Optuna)."""
    sidecar_of(journal).unlink()
    with caplog.at_level(logging.WARNING):
        open_study("s", journal_storage(journal), ["maximize"], 0, False)
    assert sum("no checksum record" in m for m in warnings_of(caplog)) == 1
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        open_study("s", journal_storage(journal), ["maximize"], 0, False)
    assert not warnings_of(caplog)
    assert len(read_records(sidecar_of(journal))[0]) == len(lines_of(journal))


def test_unrecorded_garbage_in_the_middle_is_cut(journal, whole, caplog):
    """Without a record, a line that does not parse in the middle used to raise JSONDecodeError."""
    sidecar_of(journal).unlink()
    lines = lines_of(journal)
    lines[3] = b'{"op_code": 5, "broken\n'
    journal.write_bytes(b"".join(lines))
    with caplog.at_level(logging.WARNING):
        study = resume(journal)
    assert any("line 4 is not a complete journal operation" in m for m in warnings_of(caplog))
    assert completed(study) == whole


def test_journal_shorter_than_its_record_is_reported(journal, whole, caplog):
    lines = lines_of(journal)
    journal.write_bytes(b"".join(lines[:-3]))                # restored from an older copy
    with caplog.at_level(logging.WARNING):
        study = resume(journal)
    assert any("3 recorded line(s) are missing" in m for m in warnings_of(caplog))
    assert completed(study) == whole


def test_damaged_record_is_reported_and_the_journal_kept(journal, caplog):
    side = sidecar_of(journal)
    data = bytearray(side.read_bytes())
    data[2 * RECORD:3 * RECORD] = b"x" * (RECORD - 1) + b"\n"
    side.write_bytes(bytes(data))
    with caplog.at_level(logging.WARNING):
        study = open_study("s", journal_storage(journal), ["maximize"], 0, False)
    assert sum("has a damaged entry" in m for m in warnings_of(caplog)) == 1
    assert done_trials(study) == 4 and len(read_records(side)[0]) == len(lines_of(journal))
