"""`cs-lab run A B --jobs 2`: specs in parallel worker processes, one MLflow store, logs per spec."""

import subprocess
import sys

import yaml

from cs_lab.testing.experiment import tiny_spec


def test_two_specs_at_once(tmp_path, tmp_cache):
    a = tiny_spec(tmp_path / "a", name="tiny_a", trials=1)
    b_raw = yaml.safe_load(a.read_text())
    b_raw.update(name="tiny_b", task={**b_raw["task"], "exclude": ["cart", "history"]},
                 metrics={"ks": [5, 10], "objective": "ndcg@10.explore"})
    b = tmp_path / "b.yaml"
    b.write_text(yaml.safe_dump(b_raw))
    out = subprocess.run([sys.executable, "-m", "cs_lab", "run", str(a), str(b), "--jobs", "2",
                          "--runs-dir", str(tmp_path / "runs"),
                          "--tracking-uri", f"sqlite:///{tmp_path / 'mlflow.db'}"],
                         capture_output=True, text=True, cwd=tmp_path, timeout=600)
    assert out.returncode == 0, out.stderr[-3000:]
    for name in ("tiny_a", "tiny_b"):
        log = (tmp_path / "runs" / name / "console.log").read_text()
        assert "Verdict" in log and "Chosen on validation" in log
        assert "this run's row: http://127.0.0.1:5000/#/experiments/" in log     # where to look in MLflow
        assert log in out.stdout                               # printed when the spec finished
    from mlflow.tracking import MlflowClient

    client = MlflowClient(f"sqlite:///{tmp_path / 'mlflow.db'}")
    stamps = set()
    for name in ("tiny_a", "tiny_b"):
        exp = client.get_experiment_by_name(name)
        runs = client.search_runs([exp.experiment_id])
        assert runs and all(r.info.status == "FINISHED" for r in runs)
        assert any(r.data.tags.get("kind") == "comparison" for r in runs)
        # one top-level row per spec for this invocation, named <spec>@<the invocation's start>
        tops = [r for r in runs if "mlflow.parentRunId" not in r.data.tags]
        assert len(tops) == 1, [(r.info.run_name, r.data.tags.get("kind")) for r in tops]
        top = tops[0]
        assert top.data.tags["kind"] == "invocation" and top.info.run_name == f"{name}@{top.data.tags['invocation']}"
        stamps.add(top.data.tags["invocation"])
    assert len(stamps) == 1                                    # both workers share the invocation's stamp
