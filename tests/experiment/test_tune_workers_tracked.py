"""Three tuning workers started at once on one journal and one fresh MLflow SQLite database: all
finish, no worker closes another live worker's runs, the study stops at its budget
of completed trials or at its cap of replaced pruned trials."""

import json
import os
import subprocess
import sys

import optuna
import pytest

import cs_lab
from cs_lab.testing.experiment import tiny_spec

pytestmark = pytest.mark.slow


def test_three_tracked_workers_on_a_fresh_store(tmp_path, tmp_cache):
    spec = tiny_spec(tmp_path, name="shared3", trials=9)
    storage = tmp_path / "shared.journal"
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    root = os.path.dirname(os.path.dirname(cs_lab.__file__))
    env = {**os.environ, "CS_LAB_CACHE_DIR": str(tmp_cache),
           "PYTHONPATH": os.pathsep.join([root, os.environ.get("PYTHONPATH", "")])}
    subprocess.run([sys.executable, "-m", "cs_lab", "data", "prepare", str(tmp_path / "data" / "synthetic_shop.yaml")],
                   check=True, env=env, capture_output=True, cwd=tmp_path)
    cmd = [sys.executable, "-m", "cs_lab", "tune", str(spec), "--storage", str(storage), "--tracking-uri", uri,
           "--json", "--model", "als", "--runs-dir", str(tmp_path / "runs")]
    procs = [subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=tmp_path)
             for _ in range(3)]
    ran = []
    for p in procs:
        out, err = p.communicate(timeout=600)
        assert p.returncode == 0, err[-3000:]
        assert "ended KILLED" not in err          # live workers' runs are not orphans
        ran.append(set(json.loads(out.strip().splitlines()[-1])["trials"].get("als", [])))
    assert not (ran[0] & ran[1]) and not (ran[0] & ran[2]) and not (ran[1] & ran[2])

    from cs_lab.experiment.study import journal_storage
    from cs_lab.tracking.tracker import MlflowTracker

    st = journal_storage(storage)
    study = optuna.load_study(study_name=optuna.get_all_study_names(st)[0], storage=st)
    complete = [t for t in study.trials if t.state.name == "COMPLETE"]
    pruned = [t for t in study.trials if t.state.name == "PRUNED"]
    # the study stops at its budget of 9 completed trials, or when the pruned-replacement cap is used
    # up (max_pruned = budget = 9: at most 18 finished trials), whichever comes first; with three
    # workers on tiny data the median pruner can prune most trials, so either end is legitimate
    assert len(complete) <= 11                                   # one in flight over budget per extra worker
    assert len(complete) >= 9 or len(complete) + len(pruned) >= 9 + 9, (len(complete), len(pruned))
    assert len(complete) + len(pruned) <= 9 + 9 + 2              # pruned ones replaced at most max_pruned times
    runs = MlflowTracker("shared3", tracking_uri=uri).runs()
    assert {r.info.status for r in runs} == {"FINISHED"}
    assert len({r.data.tags["cs_lab.owner.pid"] for r in runs}) == 3
