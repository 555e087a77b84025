"""Two tuning worker processes on one shared journal study: no trial lost or duplicated."""

import json
import os
import subprocess
import sys

import optuna
import pytest

from cs_lab.testing.experiment import tiny_spec

pytestmark = pytest.mark.slow


def test_two_workers_share_one_study(tmp_path, tmp_cache):
    spec = tiny_spec(tmp_path, name="shared", trials=10)
    storage = tmp_path / "shared.journal"
    cmd = [sys.executable, "-m", "cs_lab", "tune", str(spec), "--storage", str(storage), "--no-track",
           "--json", "--model", "als", "--runs-dir", str(tmp_path / "runs")]
    env = {**os.environ, "CS_LAB_CACHE_DIR": str(tmp_cache)}
    # prepare the dataset cache once so both workers start together
    subprocess.run([sys.executable, "-m", "cs_lab", "data", "prepare", str(tmp_path / "data" / "synthetic_shop.yaml")],
                   check=True, env=env, capture_output=True)
    procs = [subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
             for _ in range(2)]
    outs = []
    for p in procs:
        out, err = p.communicate(timeout=600)
        assert p.returncode == 0, err[-2000:]
        outs.append(json.loads(out.strip().splitlines()[-1]))
    ran = [set(o["trials"]["als"]) for o in outs]
    assert ran[0] and ran[1], "both workers ran trials"
    assert not (ran[0] & ran[1]), "a trial number was run by both workers"

    from optuna.storages import JournalStorage
    from optuna.storages.journal import JournalFileBackend

    st = JournalStorage(JournalFileBackend(str(storage)))
    names = optuna.get_all_study_names(st)
    assert len(names) == 1
    study = optuna.load_study(study_name=names[0], storage=st)
    trials = study.get_trials(deepcopy=False)
    numbers = [t.number for t in trials]
    assert sorted(numbers) == list(range(len(trials)))          # none lost
    assert set(numbers) == ran[0] | ran[1]                       # every trial ran in exactly one worker
    complete = [t for t in trials if t.state.name == "COMPLETE"]
    pruned = [t for t in trials if t.state.name == "PRUNED"]
    # the budget of 10 completed trials, at most one in flight over it -- or the study stopped at its
    # cap of replaced pruned trials (max_pruned = budget: 20 finished), whichever came first
    assert len(complete) <= 11
    assert len(complete) >= 10 or len(complete) + len(pruned) >= 10 + 10, (len(complete), len(pruned))
    assert len(complete) + len(pruned) <= 10 + 10 + 1             # pruned ones replaced at most max_pruned times
    # no configuration evaluated twice; the one exception allowed: two workers starting at the same
    # moment may each enqueue the default configuration (docs/tuning.md)
    defaults = [t for t in trials if t.user_attrs.get("cs_lab.default")]
    assert 1 <= len(defaults) <= 2
    params = [tuple(sorted(t.params.items())) for t in trials if t not in defaults[1:]]
    assert len(set(params)) == len(params)
