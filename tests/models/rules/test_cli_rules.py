"""`cs-lab rules mine`: counts equal mlxtend's on Groceries, JSON, Parquet / CSV output, errors."""

import json

import pandas as pd
import pytest

from cs_lab.cli import main


def test_bad_thresholds_exit_2(capsys):
    assert main(["rules", "mine", "groceries", "--min-support", "0", "--min-confidence", "0.1"]) == 2
    assert "min_support must be a fraction of baskets in (0, 1]" in capsys.readouterr().err
    assert main(["rules", "mine", "groceries", "--min-support", "0.1", "--min-confidence", "1.1"]) == 2
    assert "min_confidence" in capsys.readouterr().err


def test_bad_out_extension_exit_2(capsys, tmp_path):
    assert main(["rules", "mine", "groceries", "--min-support", "0.1", "--min-confidence", "0.1",
                 "--out", str(tmp_path / "rules.xlsx")]) == 2
    assert "unknown extension '.xlsx'" in capsys.readouterr().err


@pytest.mark.integration
@pytest.mark.parametrize("consequents", ["all", "single"])
def test_counts_equal_mlxtend(groceries, capsys, consequents):
    mlx = pytest.importorskip("mlxtend.frequent_patterns")
    _, frame = groceries
    assert main(["rules", "mine", "groceries", "--min-support", "0.01", "--min-confidence", "0.25",
                 "--consequents", consequents, "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    sets = mlx.fpgrowth(frame, min_support=0.01)
    rules = mlx.association_rules(sets, len(frame), metric="confidence", min_threshold=0.25)
    if consequents == "single":
        rules = rules[rules.consequents.map(len) == 1]
    assert out["n_itemsets"] == len(sets) == 333
    assert out["n_rules"] == len(rules)
    assert out["n_baskets"] == 9835 and out["min_count"] == 99 and out["n_frequent_items"] == 88
    assert (out["min_support"], out["min_confidence"], out["consequents"]) == (0.01, 0.25, consequents)


@pytest.mark.integration
def test_text_output(groceries, capsys):
    assert main(["rules", "mine", "groceries", "--min-support", "0.01", "--min-confidence", "0.3",
                 "--max-len", "2", "--top", "3"]) == 0
    captured = capsys.readouterr()
    assert "frequent itemsets: 301 (by size 1: 88, 2: 213)" in captured.out
    assert "top 3 rules by lift:" in captured.out and "{beef} -> {root vegetables}" in captured.out
    assert "[rules]" in captured.err and "[rules]" not in captured.out


@pytest.mark.integration
@pytest.mark.parametrize("suffix", [".parquet", ".csv"])
def test_out_file(groceries, capsys, tmp_path, suffix):
    path = tmp_path / "sub" / f"rules{suffix}"
    assert main(["rules", "mine", "groceries", "--min-support", "0.01", "--min-confidence", "0.3",
                 "--consequents", "all", "--json", "--out", str(path)]) == 0
    out = json.loads(capsys.readouterr().out)
    df = pd.read_parquet(path) if suffix == ".parquet" else pd.read_csv(path)
    assert len(df) == out["n_rules"] == 125 and out["out"] == str(path)
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temp file left behind
    ante = df["antecedents"].iloc[0]
    ante = json.loads(ante) if suffix == ".csv" else list(ante)
    assert ante == ["citrus fruit", "other vegetables"]
    assert (df["lift"].diff().dropna() <= 0).all()
