"""`cs-lab evaluate RECS TRUTH`: output formats and input errors."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from cs_lab.cli import main
from cs_lab.eval import ACCURACY_METRICS, arrays_from_tables, evaluate


@pytest.fixture
def files(tmp_path):
    rng = np.random.default_rng(0)
    rows = [(f"q{q}", f"i{i}", r + 1) for q in range(40)
            for r, i in enumerate(rng.choice(30, size=int(rng.integers(1, 8)), replace=False))]
    recs = pd.DataFrame(rows, columns=["query_id", "item_id", "rank"])
    truth = pd.DataFrame([(f"q{q}", f"i{i}") for q in range(45) for i in rng.choice(30, 3, replace=False)],
                         columns=["query_id", "item_id"])
    recs_path, truth_path = tmp_path / "recs.parquet", tmp_path / "truth.csv"
    recs.to_parquet(recs_path)
    truth.to_csv(truth_path, index=False)
    return recs_path, truth_path, recs, truth


def test_json_output_matches_the_library(files, capsys):
    recs_path, truth_path, recs, truth = files
    assert main(["evaluate", str(recs_path), str(truth_path), "--k", "3,1", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    arr = arrays_from_tables(recs, truth, k=3)
    want = evaluate(arr.recs, arr.truth, metrics=list(ACCURACY_METRICS), ks=(1, 3))
    assert list(out) == ["1", "3"] and set(out["3"]) == set(ACCURACY_METRICS)
    for k in (1, 3):
        for m in ACCURACY_METRICS:
            assert out[str(k)][m] == pytest.approx(want.summary[m][k])


def test_readable_table(files, capsys):
    recs_path, truth_path, *_ = files
    assert main(["evaluate", str(recs_path), str(truth_path)]) == 0
    out = capsys.readouterr().out
    assert "metric" in out and "@20" in out and "ndcg" in out
    assert "45 queries" in out  # 5 truth-only queries count as empty lists


def test_subprocess_entry_point(files):
    recs_path, truth_path, *_ = files
    proc = subprocess.run([sys.executable, "-m", "cs_lab", "evaluate", str(recs_path), str(truth_path),
                           "--k", "5", "--json"], capture_output=True, text=True, check=True)
    assert set(json.loads(proc.stdout)) == {"5"}


def write_csv(path, text):
    path.write_text(text)
    return str(path)


@pytest.mark.parametrize("recs_text, message", [
    ("query_id,item_id\nq1,a\n", "recs.csv, column 'rank': missing required column"),
    ("query_id,item_id,rank\nq1,a,1\nq1,b,1\n", "recs.csv, row 2, column 'rank': rank 1 appears twice"),
    ("query_id,item_id,rank\nq1,a,1\nq1,b,two\n",
     "recs.csv, row 2, column 'rank': rank 'two' is not an integer"),
    ("query_id,item_id,rank\nq1,a,1.5\n", "rank 1.5 is not an integer"),
])
def test_bad_recs_give_a_clear_error(tmp_path, capsys, recs_text, message):
    recs = write_csv(tmp_path / "recs.csv", recs_text)
    truth = write_csv(tmp_path / "truth.csv", "query_id,item_id\nq1,a\n")
    assert main(["evaluate", recs, truth]) == 2
    assert message in capsys.readouterr().err


def test_bad_truth_and_files(tmp_path, capsys):
    recs = write_csv(tmp_path / "recs.csv", "query_id,item_id,rank\nq1,a,1\n")
    truth = write_csv(tmp_path / "truth.csv", "query,item_id\nq1,a\n")
    assert main(["evaluate", recs, truth]) == 2
    assert "truth.csv, column 'query_id'" in capsys.readouterr().err
    assert main(["evaluate", recs, str(tmp_path / "nope.csv")]) == 2
    assert "nope.csv: file not found" in capsys.readouterr().err
    assert main(["evaluate", recs, write_csv(tmp_path / "t.txt", "x")]) == 2
    assert "unsupported file type" in capsys.readouterr().err


def test_bad_k_is_a_usage_error(files):
    recs_path, truth_path, *_ = files
    with pytest.raises(SystemExit) as exc:
        main(["evaluate", str(recs_path), str(truth_path), "--k", "0,5"])
    assert exc.value.code == 2
