"""Bad inputs through the real CLI (``python -m cs_lab`` in a subprocess): each must end with exit
code 2 and a one-line message naming the file and the key / row / column -- never a traceback, a
hang or a silent acceptance. Spec errors must come before any data preparation or fitting."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml

from cs_lab.testing.experiment import tiny_spec, write_synthetic_dataset

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    """The tiny spec (trials=1, few queries) as a dict, with its folder."""
    folder = tmp_path_factory.mktemp("bad")
    path = tiny_spec(folder, trials=1, task={"max_queries": 100, "max_validation_queries": 100})
    return folder, yaml.safe_load(path.read_text())


def cli(folder: Path, *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    env = dict(os.environ, CS_LAB_CACHE_DIR=str(folder / "cache"), CS_LAB_OFFLINE="1", MPLBACKEND="Agg",
               PYTHONPATH=str(REPO))
    return subprocess.run([sys.executable, "-m", "cs_lab", *args], cwd=folder, env=env, capture_output=True,
                          text=True, timeout=timeout)


def write_spec(folder: Path, spec: dict, name: str) -> Path:
    path = folder / f"{name}.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    return path


def check(proc: subprocess.CompletedProcess, *needles: str) -> None:
    assert "Traceback" not in proc.stderr, proc.stderr
    assert proc.returncode == 2, (proc.returncode, proc.stdout[-2000:], proc.stderr[-2000:])
    for n in needles:
        assert n in proc.stderr, (n, proc.stderr)


def _set(spec: dict, dotted: str, value) -> dict:
    import copy

    out = copy.deepcopy(spec)
    *head, last = dotted.split(".")
    node = out
    for k in head:
        node = node.setdefault(k, {})
    node[last] = value
    return out


# (case id, spec key to set, value, extra CLI args, command, words the message must hold)
SPEC_CASES = [
    ("objective_unknown", "metrics.objective", "foo@10", [], "run", ["metrics.objective", "foo@10"]),
    ("objective_k_not_in_ks", "metrics.objective", "ndcg@7", [], "run", ["metrics.objective", "7"]),
    ("comparison_metric_unknown", "comparison.metrics", ["foo@10"], [], "run", ["comparison.metrics", "foo@10"]),
    ("cli_trials_negative", None, None, ["--trials", "-1"], "run", ["--trials", "-1"]),
    ("tuning_trials_negative", "tuning.trials", -2, [], "run", ["tuning.trials"]),
    ("tuning_timeout_negative", "tuning.timeout", -5, [], "run", ["tuning.timeout"]),
    ("tuning_timeout_zero", "tuning.timeout", 0, [], "run", ["tuning.timeout"]),
    ("tuning_max_pruned_negative", "tuning.max_pruned", -1, [], "run", ["tuning.max_pruned"]),
    ("tuning_prune_queries_zero", "tuning.prune_queries", 0, [], "run", ["tuning.prune_queries"]),
    ("simulate_trials_negative", None, None, ["--trials", "-3"], "simulate", ["--trials", "-3"]),
    ("jobs_zero", None, None, ["--jobs", "0"], "run", ["--jobs"]),
    ("max_queries_negative", "task.max_queries", -5, [], "run", ["task.max_queries"]),
    ("split_fraction_above_one", "split.test_fraction", 1.5, [], "run", ["split.test_fraction"]),
    ("validation_fraction_zero", "validation.test_fraction", 0, [], "run", ["validation.test_fraction"]),
    ("unknown_top_level_key", "colour", "blue", [], "run", ["colour"]),
]


@pytest.mark.parametrize("case", SPEC_CASES, ids=[c[0] for c in SPEC_CASES])
def test_bad_spec(base, case):
    folder, spec = base
    name, key, value, extra, command, words = case
    if key is not None:
        spec = _set(spec, key, value)
    path = write_spec(folder, spec, name)
    args = [command, str(path), *extra, "--no-track", "--runs-dir", str(folder / "runs")]
    proc = cli(folder, *args, timeout=30)
    check(proc, *words)
    if key is not None:
        assert str(path) in proc.stderr
    # rejected before any data preparation or fitting
    assert not (folder / "runs" / spec["name"] / ".models").exists()


def test_unknown_model_names_file_and_key(base):
    folder, spec = base
    spec = dict(spec, models=spec["models"] + [{"name": "mystery", "config": {"model": "nosuch"}}])
    path = write_spec(folder, spec, "unknown_model")
    proc = cli(folder, "run", str(path), "--no-track", "--runs-dir", str(folder / "runs"), timeout=30)
    check(proc, str(path), "models[mystery].config.model", "nosuch")


@pytest.mark.parametrize("key,value,words", [
    ("timeout", -1, ["models[als].timeout"]),
    # the default configuration is trial 0: a categorical default outside the choices cannot run
    ("search", {"use_customer": {"type": "categorical", "choices": [True]}},
     ["models[als].search.use_customer", "False", "choices"]),
])
def test_bad_model_tuning_key(base, key, value, words):
    folder, spec = base
    models = [dict(m, **{key: value}) if m["name"] == "als" else m for m in spec["models"]]
    path = write_spec(folder, dict(spec, models=models), f"model_{key}")
    proc = cli(folder, "run", str(path), "--no-track", "--runs-dir", str(folder / "runs"), timeout=30)
    check(proc, str(path), *words)
    assert not (folder / "runs" / spec["name"] / ".models").exists()


def test_yaml_syntax_error(base):
    folder, _ = base
    path = folder / "broken.yaml"
    path.write_text("name: broken\nmodels: [\n  - {name: a\n")
    check(cli(folder, "run", str(path), "--no-track", timeout=30), str(path), "not valid YAML")


def test_missing_include(base):
    folder, spec = base
    path = write_spec(folder, dict(spec, split={"include": "nowhere/split.yaml"}), "missing_include")
    check(cli(folder, "run", str(path), "--no-track", timeout=30), str(path), "nowhere/split.yaml", "not found")


# ---------------------------------------------------------------- cs-lab evaluate


def _tables(folder: Path) -> tuple[Path, Path]:
    recs = folder / "recs.csv"
    truth = folder / "truth.csv"
    pd.DataFrame({"query_id": ["q1", "q1", "q2"], "item_id": ["a", "b", "a"], "rank": [1, 2, 1]}).to_csv(recs, index=False)
    pd.DataFrame({"query_id": ["q1", "q2"], "item_id": ["b", "c"]}).to_csv(truth, index=False)
    return recs, truth


def test_evaluate_header_only_recommendations(tmp_path):
    recs, truth = _tables(tmp_path)
    recs.write_text("query_id,item_id,rank\n")
    check(cli(tmp_path, "evaluate", str(recs), str(truth), timeout=30), str(recs), "has no rows")


def test_evaluate_truth_missing_column(tmp_path):
    recs, truth = _tables(tmp_path)
    truth.write_text("query_id,product\nq1,b\n")
    check(cli(tmp_path, "evaluate", str(recs), str(truth), timeout=30), str(truth), "item_id")


def test_evaluate_non_integer_rank(tmp_path):
    recs, truth = _tables(tmp_path)
    recs.write_text("query_id,item_id,rank\nq1,a,1\nq1,b,two\n")
    check(cli(tmp_path, "evaluate", str(recs), str(truth), timeout=30), str(recs), "row 2", "rank", "two")


def test_evaluate_missing_recommendations_file(tmp_path):
    _, truth = _tables(tmp_path)
    gone = tmp_path / "nope.csv"
    check(cli(tmp_path, "evaluate", str(gone), str(truth), timeout=30), str(gone), "not found")


# ---------------------------------------------------------------- bring-your-own data


def _custom_spec(base, folder: Path, lines: pd.DataFrame, name: str) -> Path:
    _, spec = base
    data = folder / f"data_{name}"
    mapping = write_synthetic_dataset(data, n_baskets=200)
    lines.to_csv(data / "lines.csv", index=False)
    return write_spec(folder, dict(spec, name=name, dataset=str(mapping)), name)


def test_custom_dataset_with_one_basket(base, tmp_path):
    folder, _ = base
    lines = pd.read_csv(write_synthetic_dataset(tmp_path / "src", n_baskets=200).parent / "lines.csv")
    one = lines[lines["basket_id"] == lines["basket_id"].iloc[0]]
    path = _custom_spec(base, tmp_path, one, "one_basket")
    proc = cli(tmp_path, "run", str(path), "--no-track", "--runs-dir", str(tmp_path / "runs"), timeout=60)
    check(proc, "synthetic_shop", "only 1 basket", "more baskets")


def test_custom_dataset_with_future_timestamps(base, tmp_path):
    lines = pd.read_csv(write_synthetic_dataset(tmp_path / "src", n_baskets=200).parent / "lines.csv")
    ts = pd.to_datetime(lines["timestamp"])
    lines["timestamp"] = (ts + (pd.Timestamp("2099-01-01") - ts.min())).astype(str)
    path = _custom_spec(base, tmp_path, lines, "future")
    proc = cli(tmp_path, "run", str(path), "--no-track", "--runs-dir", str(tmp_path / "runs"), timeout=60)
    check(proc, "lines.csv", "timestamp", "row 1", "2099", "in the future")
