"""Frequent itemsets by Spark ML's FP-Growth, returned as cs_lab FrequentItemsets.

The result is the same object, array for array, as the local miner's ``fpgrowth`` on the same
baskets: the threshold is turned into the same integer basket count first (``min_count``), and
Spark's own ``minCount = ceil(minSupport * n)`` is handed a support half a basket below it, so
float rounding at the exact threshold cannot move an itemset across it. Spark's FP-Growth has no
maximum length: it mines every frequent itemset, and those longer than ``max_len`` are dropped
before they leave the JVM (a low support with no max_len can still take long on Spark's side).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pyarrow.compute as pc

from cs_lab.models.rules._prepare import check_max_len, check_support, min_count
from cs_lab.models.rules.itemsets import FrequentItemsets, canonical

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

BASKETS_PER_TASK = 50_000


def mine_itemsets(baskets: "DataFrame", n_baskets: int, n_items: int, min_support: float,
                  max_len: int | None = None, num_partitions: int | None = None) -> FrequentItemsets:
    """Itemsets held by at least ``min_support`` of ``n_baskets`` baskets.

    ``baskets`` has one row per basket with an ``items`` array of distinct item indices; baskets
    without any known item may be absent from it but count in ``n_baskets``.
    """
    from pyspark.ml.fpm import FPGrowth
    from pyspark.sql import functions as F

    check_support(min_support)
    check_max_len(max_len)
    mc = min_count(min_support, max(n_baskets, 1))
    rows = baskets.count()
    empty = FrequentItemsets(np.zeros(1, np.int64), np.zeros(0, np.int32), np.zeros(0, np.int64),
                             n_baskets, n_items, min_support, max_len)
    if rows == 0 or mc > rows:
        return empty
    # Spark grows one FP-tree per key in each map task and re-measures the task's trees every few
    # insertions (SizeEstimator walks them), which gets slow as a task's trees grow: measured on
    # 291k baskets, 64 tasks took 129 s where 8 took 309 s. Keep tasks at <= BASKETS_PER_TASK.
    wanted = -(-rows // BASKETS_PER_TASK)
    if baskets.rdd.getNumPartitions() < wanted:
        baskets = baskets.repartition(wanted)
    fp = FPGrowth(itemsCol="items", minSupport=(mc - 0.5) / rows, minConfidence=1.0)
    if num_partitions:
        fp.setNumPartitions(num_partitions)
    sets = fp.fit(baskets).freqItemsets
    if max_len is not None:
        sets = sets.where(F.size("items") <= max_len)
    table = sets.select(F.col("items").cast("array<int>").alias("items"), "freq").toArrow()
    if table.num_rows == 0:
        return empty
    lists = table.column("items").combine_chunks()
    sizes = pc.list_value_length(lists).to_numpy(zero_copy_only=False)
    items = pc.list_flatten(lists).to_numpy(zero_copy_only=False)
    counts = table.column("freq").to_numpy()
    indptr, items, counts = canonical(items, sizes, counts)
    return FrequentItemsets(indptr, items, counts, n_baskets, n_items, min_support, max_len)


def itemsets_from_lines(lines, items, min_support: float, max_len: int | None, settings) -> FrequentItemsets:
    """The model contract's path: pandas canonical lines -> Parquet -> Spark -> FrequentItemsets."""
    from cs_lab.spark.frames import basket_sets, count_baskets, lines_parquet, read_lines
    from cs_lab.spark.session import spark_session

    spark = spark_session(settings)
    with lines_parquet(lines, settings.local_dir) as path:
        df = read_lines(spark, path)
        n_baskets = count_baskets(df)
        return mine_itemsets(basket_sets(df, items, settings.partitions), n_baskets, len(items),
                             min_support, max_len, settings.partitions)


__all__ = ["mine_itemsets", "itemsets_from_lines"]
