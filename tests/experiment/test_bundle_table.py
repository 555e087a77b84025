"""The bundle model through the runner: its offers reach the metrics, MLflow and the report's
"Bundle offers" table; models without offers have none of it."""

import numpy as np
import pytest

from cs_lab.eval.stats import bootstrap_ci
from cs_lab.experiment.bundle_table import bundle_table, format_bundle_table
from cs_lab.experiment.runner import ExperimentRunner, RunOptions
from cs_lab.experiment.spec import load_spec
from cs_lab.testing.experiment import tiny_spec
from cs_lab.tracking import MemoryTracker


@pytest.fixture(scope="module")
def ran(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("bundle_run")
    mp = pytest.MonkeyPatch()
    mp.setenv("CS_LAB_CACHE_DIR", str(tmp / "cache"))
    try:
        path = tiny_spec(tmp, name="bundles", trials=2, simulation=None, models=[
            {"name": "popularity", "config": {"model": "popularity"}},
            {"name": "bundle", "config": {"model": "bundle", "min_support": 0.005, "min_lift": 1.0},
             "search": {"min_lift": {"type": "float", "low": 1.0, "high": 3.0}}}])
        spec = load_spec(path)
        tracker = MemoryTracker()
        runner = ExperimentRunner(spec, tracker, RunOptions(run_dir=tmp / "runs" / spec.name, progress=False,
                                                            log_models=False))
        res = runner.run()
        yield res, tracker, runner
    finally:
        mp.undo()


def test_bundle_metrics_reach_the_model_runs(ran):
    res, tracker, _ = ran
    # the model runs: children of the invocation's top-level row
    (top,) = [rid for rid, r in tracker.runs.items() if r["parent"] is None]
    metrics = {r["name"]: r["metrics"] for r in tracker.runs.values() if r["parent"] == top}
    for key in ("test.bundle_offered_at_10", "test.bundle_hit_at_10", "test.full_bundle_hit_at_10",
                "test.bundle_revenue_at_10", "test.bundle_discount_cost_at_10", "test.bundle_margin_at_10"):
        assert key in metrics["bundle"], key
        assert key not in metrics["popularity"], key
    assert metrics["bundle"]["test.bundle_offered_at_10"] > 0.5
    assert 0 < metrics["bundle"]["test.full_bundle_hit_at_10"] <= metrics["bundle"]["test.bundle_hit_at_10"]


def test_report_table_pools_the_test_carts(ran):
    res, _, runner = ran
    table = bundle_table(res.outcomes, 10, n_boot=200, seed=0)
    assert list(table["model"]) == ["bundle"]
    frame, clusters = res.outcomes["bundle"].per_query("test")
    iv = bootstrap_ci(frame["bundle_hit@10"].to_numpy(), n_boot=200, seed=0, clusters=clusters)
    assert table.loc[0, "bundle_hit"] == pytest.approx(np.nanmean(frame["bundle_hit@10"]))
    assert (table.loc[0, "bundle_hit ci_low"], table.loc[0, "bundle_hit ci_high"]) == pytest.approx((iv.low, iv.high))
    # the synthetic lines carry costs: margin after the discount is there, and below the revenue
    assert table.loc[0, "bundle_margin"] <= table.loc[0, "bundle_revenue"]
    text = runner._report(res)
    assert "Bundle offers @10" in text and format_bundle_table(table, 10).splitlines()[1] in text


def test_model_offers_follow_the_eval_sets_exclusion():
    """The explore task excludes the customer's history: the offers the metrics read are those of the
    lists made with that exclusion."""
    from types import SimpleNamespace

    import scipy.sparse as sp

    from cs_lab.data.queries import Queries
    from cs_lab.experiment.objective import model_offers, recommend
    from cs_lab.models.bundle import BundleRecommender
    from tests.models.bundle.conftest import interactions

    baskets = ([["X", "Y", "Z"]] * 30 + [["X"]] * 40 + [["Z"]] * 40 + [["Y"]] * 10 + [["X", "W"]] * 30
               + [["W"]] * 5 + [[f"n{i % 6}"] for i in range(145)])
    train = interactions(baskets, {n: 5.0 for n in ["X", "Y", "Z", "W", *(f"n{i}" for i in range(6))]})
    model = BundleRecommender(min_support=0.05, min_lift=2.4, price_cap=None).fit(train)
    names = train.items.ids.tolist()
    q = Queries.from_lists([[names.index("X")]] * 2, train.n_items, ids=np.array(["a", "b"]))
    ex = sp.csr_matrix(([1.0], ([1], [names.index("Y")])), shape=q.carts.shape)
    ev = SimpleNamespace(queries=q, exclude=ex)
    ids = recommend(model, ev, 4)
    assert names[ids[1, 0]] == "W"                       # Y excluded: the pair X, W is offered
    np.testing.assert_array_equal(model_offers(model, ev, ids).size, [2, 1])
    np.testing.assert_array_equal(model_offers(model, ev, ids[1:], rows=slice(1, 2)).size, [1])
