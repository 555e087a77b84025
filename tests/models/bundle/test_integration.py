"""Integration: the bundle model on UCI Online Retail basket completion (one temporal window, last 20%
of baskets, half of each test basket hidden, 1,500 test carts, seed 0; default config of
configs/models/bundle.yaml). Skips when the raw file is absent."""

from pathlib import Path

import numpy as np
import pytest
import yaml

pytestmark = [pytest.mark.integration, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def task():
    from cs_lab.data.loaders import get_loader
    from cs_lab.experiment.spec import ExperimentSpec
    from cs_lab.experiment.task import prepare_task

    loader = get_loader("online_retail")
    if loader.missing_raw():
        pytest.skip(f"raw Online Retail file not found: {loader.missing_raw()}")
    spec = ExperimentSpec.model_validate({
        "name": "bundle_online_retail", "dataset": "online_retail", "split": {"test_fraction": 0.2},
        "task": {"mode": "fraction", "fraction": 0.5, "max_queries": 1500, "max_validation_queries": 200, "seed": 0},
        "models": [{"name": "popularity", "config": {"model": "popularity"}}]})
    return prepare_task(spec, loader.prepare(progress=False))


def test_bundles_on_online_retail(task):
    from cs_lab.experiment.objective import evaluate_model
    from cs_lab.models.base import Recommender

    cfg = yaml.safe_load((ROOT / "configs" / "models" / "bundle.yaml").read_text())["config"]
    train, ev = task.final.train, task.final.eval
    model = Recommender.from_params(cfg).fit(train)
    b = model.bundles
    assert len(b) > 100
    assert (b.support >= cfg["min_support"] - 1e-12).all() and (b.lift >= cfg["min_lift"] - 1e-9).all()
    assert (model.bundle_margin_[np.isfinite(model.bundle_margin_)] >= 0).all() or cfg["margin_floor"] is None
    res = evaluate_model(model, ev, [2, 10])
    pop = evaluate_model(Recommender.from_params({"model": "popularity"}).fit(train), ev, [2, 10])
    assert "bundle_hit@10" in res.metric_names() and "bundle_hit@10" not in pop.metric_names()
    offered, hit, full = (res.value(f"{m}@10") for m in ("bundle_offered", "bundle_hit", "full_bundle_hit"))
    assert offered > 0.5
    assert 0 < full <= hit
    # an offer of at most two slots finds a hidden item more often than popularity's first two slots
    assert hit > pop.value("hit_rate@2")
    # the bundle's revenue is part of the model's hit value, less the discount on full bundles
    assert res.value("bundle_revenue@10") <= res.value("hit_value@10") + 1e-9
    assert res.value("bundle_discount_cost@10") <= cfg["discount"] * res.value("hit_value@10") + 1e-9
    # slot discounts agree with the offers of the recommended lists
    from cs_lab.experiment.objective import recommend
    ids = recommend(model, ev, 10)
    d = model.slot_discounts(ids)
    o = model.offers(ev.queries, ids)
    np.testing.assert_array_equal((d > 0).sum(axis=1), o.size)


def test_bundles_cross_departments_on_complete_journey():
    """The Complete Journey has categories: with category_level auto (department) no bundle holds two
    items of one department, while the same mining without the filter finds such pairs."""
    from cs_lab.data.interactions import Interactions
    from cs_lab.data.loaders import get_loader
    from cs_lab.models.bundle import BundleRecommender

    loader = get_loader("complete_journey")
    if loader.missing_raw():
        pytest.skip(f"raw Complete Journey files not found: {loader.missing_raw()}")
    train = Interactions.from_lines(loader.prepare(progress=False).lines)
    dept = train.item_categories["category_1"]

    def same_dept(model):
        b = model.bundles
        return sum(len(set(dept[b.bundle(i)].tolist())) < b.sizes[i] for i in range(len(b)))

    crossed = BundleRecommender(min_support=0.003).fit(train)
    plain = BundleRecommender(min_support=0.003, category_level=None).fit(train)
    assert len(crossed.bundles) > 5 and same_dept(crossed) == 0
    assert same_dept(plain) > 0
