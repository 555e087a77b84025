import json

import pytest

from cs_lab.cli import main


def test_data_list(capsys):
    assert main(["data", "list"]) == 0
    out = capsys.readouterr().out
    for name in ("online_retail", "online_retail_ii", "groceries", "ta_feng", "complete_journey"):
        assert name in out


@pytest.mark.integration
def test_data_stats_json(real_dataset, capsys):
    real_dataset("groceries")
    assert main(["data", "stats", "groceries", "--json"]) == 0
    st = json.loads(capsys.readouterr().out)
    assert st["baskets"] == 9835 and st["items"] == 169 and st["raw_rows"] == 43367


@pytest.mark.integration
def test_data_stats_text(real_dataset, capsys):
    real_dataset("online_retail")
    assert main(["data", "stats", "online_retail"]) == 0
    out = capsys.readouterr().out
    assert "raw rows read      541,909" in out and "customers          4,334" in out


def test_error_exit_code(capsys, tmp_path):
    assert main(["data", "stats", str(tmp_path / "nope.yaml")]) == 2
    assert "no such column-mapping file" in capsys.readouterr().err
