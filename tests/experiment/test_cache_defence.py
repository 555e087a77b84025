"""Caches that defend themselves: a damaged cached model, recommendation file or prepared dataset is
rebuilt with a one-line warning (never a traceback), a recommendation file whose bytes do not match
its checksum sidecar is recomputed, and temp files a killed process left behind are removed at the
next start. Each case: run the tiny spec, damage the cache, rerun -> the same metrics."""

from __future__ import annotations

import logging
import os
import shutil
import time
from pathlib import Path

import numpy as np
import pytest

from cs_lab.experiment.runner import ExperimentRunner, RunOptions
from cs_lab.experiment.spec import load_spec
from cs_lab.testing.experiment import tiny_spec
from cs_lab.tracking import MemoryTracker


def run(spec_path: Path, root: Path) -> dict:
    """Test and validation metrics of every top-level run."""
    tracker = MemoryTracker()
    spec = load_spec(spec_path)
    ExperimentRunner(spec, tracker, RunOptions(run_dir=root / "runs" / spec.name, progress=False,
                                               log_models=False)).run()
    return {r["name"]: {k: v for k, v in r["metrics"].items() if k.startswith(("test.", "valid."))}
            for r in tracker.runs.values() if r["tags"].get("kind") != "invocation" and "optuna.trial" not in r["tags"]}


@pytest.fixture(scope="module")
def first(tmp_path_factory):
    """One clean run (runs folder + data cache) and its metrics, copied by each test."""
    root = tmp_path_factory.mktemp("cache_defence")
    old = os.environ.get("CS_LAB_CACHE_DIR")
    os.environ["CS_LAB_CACHE_DIR"] = str(root / "cache")
    try:
        spec = tiny_spec(root, trials=1, task={"max_queries": 150, "max_validation_queries": 100},
                         simulation=None)
        metrics = run(spec, root)
    finally:
        if old is None:
            os.environ.pop("CS_LAB_CACHE_DIR")
        else:
            os.environ["CS_LAB_CACHE_DIR"] = old
    return root, spec, metrics


@pytest.fixture
def copy(first, tmp_path, monkeypatch):
    root, spec, metrics = first
    shutil.copytree(root / "runs", tmp_path / "runs")
    shutil.copytree(root / "cache", tmp_path / "cache")
    monkeypatch.setenv("CS_LAB_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path, spec, metrics


def models_dir(root: Path) -> Path:
    return root / "runs" / ".models"


def assert_same(a: dict, b: dict) -> None:
    assert a.keys() == b.keys()
    for name in a:
        assert a[name].keys() == b[name].keys(), name
        for k, v in a[name].items():
            assert v == pytest.approx(b[name][k], nan_ok=True), (name, k)


def warnings_of(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]


def test_truncated_recommendations_are_recomputed(copy, caplog):
    root, spec, metrics = copy
    files = sorted(models_dir(root).glob("*/recs-*.npy"))
    assert files
    for f in files:
        f.write_bytes(f.read_bytes()[: f.stat().st_size // 2])
    assert_same(run(spec, root), metrics)
    assert any("cached recommendations" in m and "recomputing" in m for m in warnings_of(caplog))
    assert all("\n" not in m for m in warnings_of(caplog))


def test_recommendations_not_matching_their_checksum_are_recomputed(copy, caplog):
    """Same shape, same dtype, valid ids -- only the checksum can tell the file was altered."""
    root, spec, metrics = copy
    files = sorted(models_dir(root).glob("*/recs-*.npy"))
    assert files and all(f.with_suffix(".json").is_file() for f in files)
    for f in files:
        ids = np.load(f)
        np.save(f, ids[:, ::-1].copy())          # the lists reversed: valid, but wrong
    assert_same(run(spec, root), metrics)
    assert any("do not match their checksum" in m for m in warnings_of(caplog))


def test_corrupt_model_folder_is_refitted(copy, caplog):
    root, spec, metrics = copy
    dirs = [d for d in models_dir(root).iterdir() if (d / "config.json").is_file()]
    assert dirs
    for d in dirs:
        for f in d.iterdir():
            if f.is_file() and not f.name.startswith("recs-"):
                f.write_bytes(f.read_bytes()[: f.stat().st_size // 2])   # config.json included
    assert_same(run(spec, root), metrics)
    assert any("cannot load cached model" in m and "refitting" in m for m in warnings_of(caplog))
    from cs_lab.models.base import Recommender

    for d in dirs:                                  # the cache is repaired, not just bypassed
        Recommender.load(d)


def test_corrupt_data_cache_is_rebuilt(copy, caplog):
    root, spec, metrics = copy
    parquets = sorted((root / "cache" / "datasets").glob("*/*/lines.parquet"))
    assert parquets
    for f in parquets:
        f.write_bytes(b"not parquet")
    assert_same(run(spec, root), metrics)
    assert any("cached dataset" in m and "rebuilding" in m for m in warnings_of(caplog))


def test_stale_temp_files_are_removed_at_start(copy, caplog):
    root, spec, metrics = copy
    old = time.time() - 2 * 3600
    stale_dir = models_dir(root) / "als-0123456789ab.tmp-99999"
    stale_dir.mkdir()
    (stale_dir / "config.json").write_text("{")
    some_model = next(d for d in models_dir(root).iterdir() if d.is_dir() and ".tmp" not in d.name)
    stale_recs = some_model / "recs-0123456789ab.tmp-99999.npy"
    stale_recs.write_bytes(b"half")
    data_root = next((root / "cache" / "datasets").iterdir())
    stale_data = data_root / ".0123456789abcdef.x1y2.tmp"
    stale_data.mkdir()
    (stale_data / "lines.parquet").write_bytes(b"half")
    fresh = models_dir(root) / "als-fedcba987654.tmp-99998"      # another process may be writing it
    fresh.mkdir()
    for p in (stale_dir / "config.json", stale_dir, stale_recs, stale_data / "lines.parquet", stale_data):
        os.utime(p, (old, old))
    assert_same(run(spec, root), metrics)
    assert not stale_dir.exists() and not stale_recs.exists() and not stale_data.exists()
    assert fresh.is_dir()
    msgs = [m for m in warnings_of(caplog) if "stale temp" in m]
    assert len(msgs) == 2 and all("\n" not in m for m in msgs)


def test_model_not_matching_its_checksum_is_refitted(copy, caplog):
    """One byte of each cached state.npz flipped where the file still loads (a zip header's
    modification time): only checksum.json can tell, and the entry is refitted, never used."""
    from cs_lab.models.base import Recommender

    root, spec, metrics = copy
    dirs = [d for d in models_dir(root).iterdir() if (d / "checksum.json").is_file()]
    assert dirs and all((d / "state.npz").is_file() for d in dirs)
    for d in dirs:
        f = d / "state.npz"
        data = bytearray(f.read_bytes())
        assert data[:4] == b"PK\x03\x04"
        data[10] ^= 0x01                       # local file header: last-mod time, not checked on read
        f.write_bytes(bytes(data))
        Recommender.load(d)                    # still loads: only the checksum catches it
    assert_same(run(spec, root), metrics)
    msgs = [m for m in warnings_of(caplog) if "do not match checksum.json" in m and "refitting" in m]
    assert len(msgs) == len(dirs) and all("\n" not in m for m in msgs)
    from cs_lab.experiment.stages.fit import verify

    assert all(verify(d) for d in dirs)        # the cache is repaired


def test_altered_optuna_journal_is_cut_and_the_trials_rerun(copy, caplog):
    """A trial's objective value changed in runs/<spec>/optuna.journal (valid JSON, same length):
    only the journal's checksum record can tell; the journal is cut before that line, the trial is
    re-run, and the results are the clean run's."""
    import json

    import optuna

    root, spec, metrics = copy
    journal = next((root / "runs").glob("*/optuna.journal"))

    def values(path):
        st = optuna.storages.JournalStorage(optuna.storages.journal.JournalFileBackend(str(path)))
        return {s.study_name: [t.values for t in optuna.load_study(study_name=s.study_name, storage=st).trials
                               if t.state.name == "COMPLETE"] for s in optuna.get_all_study_summaries(st)}

    clean = values(journal)
    lines = journal.read_bytes().splitlines(keepends=True)
    i = next(k for k, ln in enumerate(lines) if json.loads(ln)["op_code"] == 6 and json.loads(ln).get("values"))
    k = lines[i].index(b'"values":[') + len(b'"values":[') + 2          # a digit of the value
    lines[i] = lines[i][:k] + (b"7" if lines[i][k:k + 1] != b"7" else b"3") + lines[i][k + 1:]
    assert json.loads(lines[i])["values"] != json.loads(journal.read_bytes().splitlines()[i])["values"]
    journal.write_bytes(b"".join(lines))
    assert_same(run(spec, root), metrics)
    msgs = [m for m in warnings_of(caplog) if "does not match its checksum record" in m]
    assert len(msgs) == 1 and f"line {i + 1} " in msgs[0] and "\n" not in msgs[0]
    assert values(journal) == clean
