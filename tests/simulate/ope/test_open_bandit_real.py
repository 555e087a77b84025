"""`cs-lab ope open_bandit` on the real Open Bandit sample, and the committed slot examination priors."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from cs_lab.data.sources import data_dir
from cs_lab.simulate.priors import load_priors

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[3]
CAMPAIGNS = ("all", "men", "women")


def _need(policy, campaign):
    f = data_dir() / "open_bandit" / policy / campaign / f"{campaign}.csv.gz"
    if not f.is_file():
        pytest.skip(f"{f} not found (set CS_LAB_DATA_DIR)")


def _cli(*args, cwd):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "cs_lab", *args], capture_output=True, text=True, cwd=cwd, env=env,
                          timeout=600)


def test_cli_json_on_the_real_sample(tmp_path):
    _need("random", "all")
    _need("bts", "all")
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    p = _cli("ope", "open_bandit", "--campaign", "all", "--json", "--n-boot", "200", "--tracking-uri", uri,
             cwd=tmp_path)
    assert p.returncode == 0, p.stderr[-2000:]
    out = json.loads(p.stdout)
    assert out["behavior_log"] == {"policy": "random", "n_rounds": 10_000, "clicks": 38, "ctr": 0.0038}
    on = out["on_policy"]
    assert (on["ctr"], on["clicks"]) == (0.0042, 42) and on["ci_low"] < 0.0042 < on["ci_high"]
    est = {e["estimator"]: e for e in out["estimates"]}
    assert set(est) == {"ips", "snips", "dm", "dr"}
    for e in est.values():            # sane: a click rate of the order of the logs' (0.4%), inside its interval
        assert 0.001 < e["value"] < 0.02 and e["ci_low"] <= e["value"] <= e["ci_high"]
        assert isinstance(e["overlaps_on_policy"], bool) and e["verdict"]
    assert out["support"]["ok"] and out["support"]["unsupported_mass"] == 0
    assert out["config"]["n_boot"] == 200
    # tracked: the run holds the estimates
    from mlflow import MlflowClient

    client = MlflowClient(tracking_uri=uri)
    run = client.get_run(out["mlflow_run_id"])
    assert run.data.metrics["ips_value"] == pytest.approx(est["ips"]["value"])
    assert run.data.params["campaign"] == "all" and run.info.status == "FINISHED"


def test_cli_missing_data_is_a_clear_error(tmp_path):
    p = subprocess.run([sys.executable, "-m", "cs_lab", "ope", "open_bandit", "--no-track"], capture_output=True,
                       text=True, cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(ROOT),
                                                     "CS_LAB_DATA_DIR": str(tmp_path)}, timeout=300)
    assert p.returncode == 2
    assert "open_bandit/random/all/all.csv.gz" in p.stderr and "open_bandit_dataset.zip" in p.stderr


def test_regenerating_the_priors_gives_the_committed_file(tmp_path):
    for c in CAMPAIGNS:
        _need("random", c)
    out = tmp_path / "open_bandit.json"
    p = _cli("ope", "open_bandit", "--write-priors", "--priors-out", str(out), cwd=tmp_path)
    assert p.returncode == 0, p.stderr[-2000:]
    committed = load_priors(ROOT / "cs_lab" / "simulate" / "priors" / "data" / "open_bandit.json")
    fresh = load_priors(out)
    assert committed.names() == fresh.names() == ["slot_examination.1", "slot_examination.2",
                                                  "slot_examination.3"]
    for name in committed.names():
        a, b = committed[name], fresh[name]
        for f in ("value", "se", "ci_low", "ci_high"):
            assert getattr(a, f) == pytest.approx(getattr(b, f), rel=1e-12), (name, f)
        assert (a.n, a.distribution, a.source, a.identifies) == (b.n, b.distribution, b.source, b.identifies)
