"""The tune stage through the runner on the tiny synthetic experiment: the default configuration is
trial 0 and is logged on the parent run with the trial counts, the best value and the best trial's
learning curve; every trial's run holds its learning curve as steps; the timeout stops tuning."""

import optuna
import pytest
import yaml

from cs_lab.experiment.runner import ExperimentRunner, RunOptions
from cs_lab.experiment.spec import load_spec
from cs_lab.testing.experiment import tiny_spec
from cs_lab.tracking import MemoryTracker

optuna.logging.set_verbosity(optuna.logging.WARNING)

CURVE = "curve.valid.ndcg_at_10"


def tune_only(path, tmp_path):
    spec, tracker = load_spec(path), MemoryTracker()
    ExperimentRunner(spec, tracker, RunOptions(run_dir=tmp_path / "runs" / spec.name, progress=False,
                                               log_models=False)).tune(["als"])
    parent = next(rid for rid, r in tracker.runs.items() if r["name"] == "als (tuning worker)")
    trials = {int(r["tags"]["optuna.trial"]): r for r in tracker.runs.values() if r["parent"] == parent}
    return tracker.runs[parent], trials


def with_tuning(folder, trials=4, **tuning):
    path = tiny_spec(folder, trials=trials)
    spec = yaml.safe_load(path.read_text())
    spec["tuning"].update(tuning)
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    return path


def test_default_trial_counts_and_curves_are_logged(tmp_path, tmp_cache):
    parent, trials = tune_only(with_tuning(tmp_path, trials=4, max_pruned=0), tmp_path)
    # trial 0 is the model's default configuration (ALS: factors 8 from the config, regularization's default)
    assert trials[0]["params"]["factors"] == "8" and float(trials[0]["params"]["regularization"]) == 0.01
    assert all(t["params"]["factors"] != "8" or t["params"]["regularization"] != "0.01" for n, t in trials.items() if n)
    m = parent["metrics"]
    done = {n: t for n, t in trials.items() if t["tags"]["optuna.state"] == "COMPLETE"}
    assert len(trials) == 4 and m["tuning.n_complete"] == len(done) >= 2 and 0 in done
    assert m["tuning.default_value"] == pytest.approx(trials[0]["metrics"]["valid.ndcg_at_10"])
    best = max(t["metrics"]["valid.ndcg_at_10"] for t in done.values())
    assert m["tuning.best_value"] == pytest.approx(best) and best >= m["tuning.default_value"]
    # each completed trial's learning curve: one step per iteration (ALS, 4 iterations), the last one
    # scored on every validation cart (200 < tuning.prune_queries), i.e. the trial's value
    for t in done.values():
        steps = t["history"][CURVE]
        assert [s for s, _ in steps] == [0, 1, 2, 3]
        assert steps[-1][1] == pytest.approx(t["metrics"]["valid.ndcg_at_10"])
    top = trials[int(m["tuning.best_trial"])]
    assert parent["history"]["tuning.best_curve.ndcg_at_10"] == top["history"][CURVE]
    assert parent["tags"]["tuning.sampler"].startswith("QMC")


def test_intermediate_values_use_prune_queries_carts(tmp_path, tmp_cache):
    """With 20 pruning carts the intermediate values differ from the values on all 200."""
    _, trials = tune_only(with_tuning(tmp_path, trials=2, max_pruned=0, prune_queries=20), tmp_path)
    assert any(t["history"][CURVE][-1][1] != pytest.approx(t["metrics"]["valid.ndcg_at_10"])
               for t in trials.values())


def test_timeout_stops_tuning_after_the_running_trial(tmp_path, tmp_cache):
    parent, trials = tune_only(with_tuning(tmp_path, trials=6, timeout=0.001), tmp_path)
    assert list(trials) == [0] and parent["metrics"]["tuning.n_complete"] == 1
    assert parent["params"]["tuning.timeout"] == "0.001"


def test_a_rerun_of_a_finished_study_runs_nothing_and_keeps_one_default(tmp_path, tmp_cache):
    path = with_tuning(tmp_path, trials=3)
    tune_only(path, tmp_path)
    parent, trials = tune_only(path, tmp_path)
    assert trials == {} and parent["metrics"]["tuning.n_complete"] == 3
    assert "tuning.default_value" in parent["metrics"]


def test_one_heartbeat_line_per_trial_when_stderr_is_not_a_terminal(tmp_path, tmp_cache, capsys):
    spec, tracker = load_spec(with_tuning(tmp_path, trials=3, pruning=False)), MemoryTracker()
    ExperimentRunner(spec, tracker, RunOptions(run_dir=tmp_path / "runs" / spec.name, progress=True,
                                               log_models=False)).tune(["als"])
    beats = [line for line in capsys.readouterr().err.splitlines() if line.strip().startswith("als trial ")]
    assert [b.split(":")[0].strip() for b in beats] == ["als trial 0", "als trial 1", "als trial 2"]
    values = [float(b.split("complete ")[1].split()[0]) for b in beats]
    best = [float(b.split("best ")[1].split(";")[0]) for b in beats]
    assert best == [max(values[:i + 1]) for i in range(3)]
    assert beats[-1].endswith("3/3 complete")
