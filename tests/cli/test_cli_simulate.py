import json

from cs_lab.cli import main
from cs_lab.testing.experiment import tiny_spec


def test_simulate_json(tmp_path, tmp_cache, capsys, monkeypatch):
    spec = tiny_spec(tmp_path, trials=1)
    code = main(["simulate", str(spec), "--sessions", "150", "--json", "--no-track",
                 "--runs-dir", str(tmp_path / "runs")])
    assert code == 0
    out = json.loads(capsys.readouterr().out)
    assert out["sessions"] == 150
    assert set(out["arms"]) >= {"control", "popularity"}
    for arm in out["arms"].values():
        assert {"conversion", "revenue_per_session", "order_value"} <= set(arm)
    rows = [r for r in out["lift"] if r["metric"] == "conversion"]
    assert rows and all(r["rel_ci_low"] <= r["rel_lift"] <= r["rel_ci_high"] for r in rows if r["rel_lift"] is not None)
    assert all(0 <= r["p_value"] <= 1 for r in rows if r["p_value"] is not None)


def test_simulate_bad_sessions(tmp_path, tmp_cache, capsys):
    spec = tiny_spec(tmp_path, trials=1)
    assert main(["simulate", str(spec), "--sessions", "0", "--no-track"]) == 2
    assert "--sessions" in capsys.readouterr().err


def test_simulate_refuses_next_basket_before_any_work(tmp_path, tmp_cache, capsys):
    spec = tiny_spec(tmp_path, trials=1, simulation=None, task={"kind": "next_basket"})
    assert main(["simulate", str(spec), "--no-track", "--runs-dir", str(tmp_path / "runs")]) == 2
    err = capsys.readouterr().err
    assert "task.kind next_basket" in err and str(spec) in err
    assert not (tmp_path / "runs").exists()
