"""Spark ML FP-Growth (cs_lab.spark.fpgrowth) gives the local miner's FrequentItemsets array for array,
frames.py builds the same baskets and counts as Interactions, and RulesRecommender(engine="spark")
recommends exactly what the local engine does."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from cs_lab.data import schema as S
from cs_lab.data.interactions import Interactions
from cs_lab.data.vocab import Vocabulary
from cs_lab.errors import DataError
from cs_lab.models.rules import RulesRecommender
from cs_lab.models.rules._prepare import min_count
from cs_lab.models.rules.mining import fpgrowth
from cs_lab.testing.data import contract_data
from tests.spark.conftest import SPARK

pytestmark = pytest.mark.usefixtures("spark")


def assert_same_itemsets(local, spark) -> None:
    for field in ("indptr", "items", "counts"):
        a, b = getattr(local, field), getattr(spark, field)
        assert a.dtype == b.dtype, field
        np.testing.assert_array_equal(a, b, err_msg=field)
    assert (local.n_baskets, local.n_items, local.min_support, local.max_len) == \
           (spark.n_baskets, spark.n_items, spark.min_support, spark.max_len)


@pytest.fixture(scope="module")
def data():
    return contract_data(0)


@pytest.fixture(scope="module")
def lines_path(data, tmp_path_factory):
    """The contract's training lines as canonical Parquet: every column, timestamps in nanoseconds."""
    path = tmp_path_factory.mktemp("lines") / "lines.parquet"
    lines = data.train.lines
    lines.assign(**{S.TIMESTAMP: lines[S.TIMESTAMP].astype("datetime64[ns]")}).to_parquet(path, index=False)
    return path


@pytest.fixture(scope="module")
def lines_frame(spark, lines_path):
    """The lines read back by Spark as the engine does."""
    from cs_lab.spark.frames import read_lines

    return read_lines(spark, lines_path).cache()


@pytest.fixture(scope="module")
def baskets(data, lines_frame):
    from cs_lab.spark.frames import basket_sets

    return basket_sets(lines_frame, data.train.items, 2).cache()


def exact_threshold_count(local_counts: np.ndarray, n: int) -> int:
    """A count c held by some itemset for which Spark's own ceil(c / n * n) is c + 1 in float64:
    handing Spark the support c / n would drop every itemset held by exactly c baskets."""
    for c in np.unique(local_counts):
        if c > 1 and math.ceil(c / n * n) != c:
            return int(c)
    raise AssertionError("no count with a float-rounded threshold in this data")


def test_itemsets_identical_to_local_miner(data, baskets):
    from cs_lab.spark.fpgrowth import mine_itemsets

    train = data.train
    n = train.n_baskets
    c = exact_threshold_count(fpgrowth(train.basket_items, 0.002).counts, n)
    assert min_count(c / n, n) == c and math.ceil(c / n * n) == c + 1
    # Spark mines every length and filters, so max_len adds no Spark-side cost to vary
    cases = [(0.002, None), (0.002, 2), (c / n, 3), (0.05, 1)]
    for min_support, max_len in cases:
        local = fpgrowth(train.basket_items, min_support, max_len)
        spark = mine_itemsets(baskets, n, train.n_items, min_support, max_len, 2)
        assert len(local) > 0, (min_support, max_len)
        assert_same_itemsets(local, spark)
    # the exact-threshold case really has itemsets sitting on the threshold
    assert (fpgrowth(train.basket_items, c / n, 3).counts == c).any()
    # and the longest itemsets are found without max_len
    assert fpgrowth(train.basket_items, 0.002).max_size >= 4


def test_support_too_high_gives_empty_itemsets(data, baskets):
    from cs_lab.spark.fpgrowth import mine_itemsets

    train = data.train
    top = int(train.item_popularity().max())
    for min_support in ((top + 1) / train.n_baskets, 1.0):
        sets = mine_itemsets(baskets, train.n_baskets, train.n_items, min_support, 3, 2)
        assert len(sets) == 0 and sets.indptr.tolist() == [0] and sets.n_baskets == train.n_baskets
        assert_same_itemsets(fpgrowth(train.basket_items, min_support, 3), sets)


def test_read_lines_turns_nanosecond_timestamps_back(spark, data, lines_path, lines_frame):
    """pandas writes datetime64[ns] as Parquet TIMESTAMP(NANOS), which Spark reads as a long
    (spark.sql.legacy.parquet.nanosAsLong); read_lines makes it a timestamp again (microseconds)."""
    assert dict(spark.read.parquet(str(lines_path)).dtypes)[S.TIMESTAMP] == "bigint"
    assert dict(lines_frame.dtypes)[S.TIMESTAMP] == "timestamp"
    got = lines_frame.select(S.BASKET, S.TIMESTAMP).toArrow().to_pandas()
    want = data.train.lines[[S.BASKET, S.TIMESTAMP]]
    got_ts = pd.to_datetime(got[S.TIMESTAMP]).dt.tz_localize(None).astype("datetime64[us]")
    want_ts = want[S.TIMESTAMP].to_numpy().astype("datetime64[us]")
    np.testing.assert_array_equal(np.sort(got_ts.to_numpy()), np.sort(want_ts))


def test_read_lines_names_missing_column(spark, data, tmp_path):
    from cs_lab.spark.frames import read_lines

    path = tmp_path / "bad.parquet"
    data.train.lines.drop(columns=[S.ITEM]).to_parquet(path, index=False)
    with pytest.raises(DataError, match=f"no '{S.ITEM}' column") as exc:
        read_lines(spark, path)
    assert exc.value.column == S.ITEM and str(path) in str(exc.value)


def test_frames_mirror_interactions(data, lines_frame):
    """With a vocabulary that leaves out some items: basket item sets equal Interactions.basket_items
    row for row (baskets with no known item absent), count_baskets equals n_baskets, and
    customer_item_counts equals Interactions.customer_items."""
    from cs_lab.spark.frames import basket_sets, count_baskets, customer_item_counts

    lines = data.train.lines
    ids = data.train.items.ids
    items = Vocabulary(ids[::3])                        # a third of the items; the rest are unknown
    local = Interactions.from_lines(lines, items=items, customers=data.train.customers)
    basket_ids = pd.factorize(lines[S.BASKET], sort=False)[1].astype(str)   # Interactions' row order
    expected = {b: local.basket_items.indices[local.basket_items.indptr[r]:local.basket_items.indptr[r + 1]].tolist()
                for r, b in enumerate(basket_ids) if local.basket_items.indptr[r + 1] > local.basket_items.indptr[r]}
    assert 0 < len(expected) < local.n_baskets         # some baskets hold no known item

    t = basket_sets(lines_frame, items, 2).toArrow()
    got = dict(zip(t.column(S.BASKET).to_pylist(), t.column("items").to_pylist()))
    assert got == expected                              # sorted, distinct indices per basket
    assert count_baskets(lines_frame) == local.n_baskets == data.train.n_baskets

    pairs = customer_item_counts(lines_frame, items, data.train.customers).toArrow()
    rows, cols = pairs.column("user").to_numpy(), pairs.column("item").to_numpy()
    m = sp.csr_matrix((pairs.column("value").to_numpy(), (rows, cols)), shape=local.customer_items.shape)
    assert (m != local.customer_items).nnz == 0 and m.nnz == local.customer_items.nnz


def test_rules_recommender_spark_equals_local(data):
    cfg = dict(min_support=0.002, min_confidence=0.1, max_len=3)
    local = RulesRecommender(**cfg).fit(data.train)
    spark = RulesRecommender(**cfg, engine="spark", spark=SPARK).fit(data.train)
    assert spark.n_itemsets_ == local.n_itemsets_ and spark.n_rules == local.n_rules > 0
    pd.testing.assert_frame_equal(spark.rules_frame(), local.rules_frame())
    a, b = local.recommend(data.queries, 10), spark.recommend(data.queries, 10)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])


def test_rules_fit_needs_training_lines(data):
    """Training data built without lines (Interactions.lines is None) gets a DataError saying why."""
    train = dataclasses.replace(data.train, lines=None)
    with pytest.raises(DataError, match=r"needs the training lines.*Interactions\.from_lines"):
        RulesRecommender(engine="spark", min_support=0.01, spark=SPARK).fit(train)
