"""The Spark engine against the local one on The Complete Journey (real data, `integration`).

Temporal split (last 10% of baskets by time is test); every test basket with at least two items
becomes leave-one-out queries (basket_completion, ~12k queries), evaluated with cs_lab.eval.
"""

from __future__ import annotations

import time

import numpy as np
import pytest

from cs_lab.data.interactions import Interactions
from cs_lab.data.splits import basket_completion, temporal_split
from cs_lab.eval import evaluate
from cs_lab.experiment.task import make_eval_set
from cs_lab.models import registry
from cs_lab.models.rules.mining import fpgrowth
from cs_lab.spark.settings import SparkSettings
from tests.spark.conftest import SPARK

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.usefixtures("spark")]

K = 10
# configs/models/als.yaml with fewer factors and iterations (64 / 10 there), to keep the test short
ALS_CONFIG = {"model": "als", "factors": 32, "iterations": 5, "regularization": 0.05, "alpha": 10.0,
              "train_on": "customers", "seed": 0}
# Spark within this relative distance of local on ndcg@10 and recall@10 (measured: about 5%)
TOLERANCE = 0.10
# and both clearly above popularity (measured: ALS 10-25% above it)
OVER_POPULARITY = 1.05


@pytest.fixture(scope="module")
def journey(real_dataset):
    ds = real_dataset("complete_journey")
    split = temporal_split(ds.lines, test_fraction=0.1)
    train = Interactions.from_lines(split.train)
    ev = make_eval_set(basket_completion(split.test, seed=0), train)
    return train, ev


def test_fpgrowth_identical_on_complete_journey(journey):
    """Spark's itemsets on ~127k training baskets equal the local miner's, array for array (at 0.5%
    support: 144 items and 29 pairs; no triple is that frequent)."""
    from cs_lab.spark.fpgrowth import itemsets_from_lines

    train, _ = journey
    local = fpgrowth(train.basket_items, 0.005, 3)
    t0 = time.perf_counter()
    spark = itemsets_from_lines(train.lines, train.items, 0.005, 3, SparkSettings(**SPARK))
    print(f"\n{train.n_baskets} baskets: {len(local)} itemsets, Spark {time.perf_counter() - t0:.1f}s")
    assert len(local) > 150 and (local.sizes == 2).sum() > 20
    for field in ("indptr", "items", "counts"):
        np.testing.assert_array_equal(getattr(local, field), getattr(spark, field), err_msg=field)
    assert spark.n_baskets == local.n_baskets == train.n_baskets


def test_als_metrics_close_to_local_engine(journey):
    """ALS(engine="spark") ranks about as well as the local engine, and both beat popularity.

    The two engines do not minimise the same function, so their factors differ and the metrics
    can only be close, not equal:
      - confidence: implicit weighs an observed entry by alpha * r, Spark by 1 + alpha * r;
      - penalty: implicit adds regularization * |x|^2 for every row; Spark adds
        regParam * n_u * |x|^2, n_u the row's number of items (and m_i * |y|^2 for an item bought
        by m_i customers). The engine sets regParam = regularization / mean(n_u), so the average
        customer is penalised as in implicit, heavy customers more, light ones less, and items
        by their number of buyers;
      - solver and start: implicit runs conjugate gradient steps from its own random factors;
        Spark solves each row exactly (Cholesky) from unit-norm Gaussian factors drawn per block.
    Measured (seed 0, 32 factors, 5 iterations, 12,203 queries): ndcg@10 local 0.0305, Spark
    0.0292; recall@10 local 0.0565, Spark 0.0535; popularity 0.0264 / 0.0452. Local ALS over
    seeds 0-2 spans ndcg@10 0.0299-0.0309 and Spark over seeds 0-1 0.0292-0.0308, so the ~5%
    gap is about the size of seed noise; TOLERANCE (10%) is twice the measured gap, and the
    popularity bar keeps a Spark model that learned nothing from passing.
    """
    train, ev = journey

    def metrics(config):
        t0 = time.perf_counter()
        model = registry.build(config).fit(train)
        fit_s = time.perf_counter() - t0
        ids, _ = model.recommend(ev.queries, K)
        summary = evaluate(ids, ev.truth, ["ndcg", "recall"], ks=(K,), catalog=ev.catalog).summary
        return {m: summary[m][K] for m in ("ndcg", "recall")}, fit_s

    pop, _ = metrics({"model": "popularity"})
    local, local_s = metrics(ALS_CONFIG)
    spark, spark_s = metrics({**ALS_CONFIG, "engine": "spark", "spark": SPARK})
    print(f"\n{len(ev.queries)} queries; popularity {pop}; local {local} ({local_s:.1f}s); "
          f"spark {spark} ({spark_s:.1f}s)")
    for m in ("ndcg", "recall"):
        assert abs(spark[m] / local[m] - 1.0) <= TOLERANCE, (m, local, spark)
        assert min(local[m], spark[m]) >= OVER_POPULARITY * pop[m], (m, pop, local, spark)
