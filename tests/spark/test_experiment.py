"""An experiment spec with `engine: spark` models runs end to end through the runner, as a user's
`cs-lab run` would: fitted on Spark, evaluated, compared and tracked like any other model."""

import numpy as np
import pytest

from cs_lab.experiment.runner import ExperimentRunner, RunOptions
from cs_lab.experiment.spec import load_spec
from cs_lab.testing.experiment import tiny_spec
from cs_lab.tracking import FINISHED, MemoryTracker

from tests.spark.conftest import SPARK


@pytest.mark.slow
def test_spark_models_in_an_experiment(tmp_path, tmp_cache, spark):
    extra = [
        {"name": "rules_local", "config": {"model": "rules", "min_support": 0.01, "min_confidence": 0.05}},
        {"name": "rules_spark", "config": {"model": "rules", "min_support": 0.01, "min_confidence": 0.05,
                                            "engine": "spark", "spark": SPARK}},
        {"name": "als_spark", "config": {"model": "als", "factors": 8, "iterations": 4, "engine": "spark",
                                          "spark": SPARK}},
        {"name": "random", "config": {"model": "random"}},
    ]
    spec = load_spec(tiny_spec(tmp_path, trials=1, extra_models=extra))
    tracker = MemoryTracker()
    res = ExperimentRunner(spec, tracker, RunOptions(run_dir=tmp_path / "runs" / spec.name, progress=False,
                                                     log_models=False)).run()
    assert all(r["status"] == FINISHED for r in tracker.runs.values())
    board = res.leaderboard.set_index("model")
    assert {"rules_spark", "als_spark"} <= set(board.index)
    # the Spark FP-Growth finds the same itemsets, so the same recommendations and metrics
    assert np.array_equal(res.outcomes["rules_spark"].ids, res.outcomes["rules_local"].ids)
    assert board.loc["rules_spark", "ndcg@10"] == board.loc["rules_local", "ndcg@10"]
    # Spark's ALS, untuned at 8 factors, learns something: far better than random items (it need
    # not beat popularity here: in the first CI run it scored 0.269 against popularity's 0.295)
    assert board.loc["als_spark", "ndcg@10"] > 2 * board.loc["random", "ndcg@10"]
    parents = {r["name"]: r for r in tracker.runs.values() if "model_name" in r["tags"]}
    assert parents["als_spark"]["params"]["engine"] == "spark"
    assert parents["als_spark"]["params"]["spark.num_partitions"] in (2, "2")
