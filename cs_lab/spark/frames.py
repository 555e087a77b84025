"""Canonical Parquet lines -> the Spark frames the engine fits on, in vocabulary indices.

Every function mirrors what ``Interactions.from_lines`` builds locally, so the two engines see the
same data: a basket holds each item once; a customer's count for an item is the number of their
baskets holding it; anonymous baskets count for baskets but not for customers; ids outside the
vocabulary are dropped.
"""

from __future__ import annotations

import itertools
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Iterator

import numpy as np
import pandas as pd

from cs_lab.data import schema as S
from cs_lab.data.vocab import Vocabulary
from cs_lab.errors import DataError

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

ITEM_IDX, CUSTOMER_IDX, BASKET_IDX = "item", "user", "basket"
NEEDED = (S.CUSTOMER, S.BASKET, S.ITEM)


def read_lines(spark: "SparkSession", path: str | Path) -> "DataFrame":
    """The canonical lines of a Parquet file or folder; DataError naming the file and the missing
    column when it is not canonical."""
    df = spark.read.parquet(str(path))
    missing = [c for c in NEEDED if c not in df.columns]
    if missing:
        raise DataError(f"not canonical lines: no {missing[0]!r} column (has {df.columns})", file=str(path),
                        column=missing[0], hint="write lines with cs_lab.data.schema's column names")
    if S.TIMESTAMP in df.columns and dict(df.dtypes)[S.TIMESTAMP] == "bigint":  # nanoseconds (pandas)
        from pyspark.sql import functions as F

        df = df.withColumn(S.TIMESTAMP, F.timestamp_micros(F.floor(F.col(S.TIMESTAMP) / 1000)))
    return df


@contextmanager
def lines_parquet(lines: pd.DataFrame | None, local_dir: str | None = None) -> Iterator[Path]:
    """Write canonical lines (``Interactions.lines``) to a temporary Parquet file for Spark to read;
    removed on exit."""
    if lines is None:
        raise DataError("engine: spark needs the training lines (Interactions.lines is None); "
                        "build the training data with Interactions.from_lines")
    with tempfile.TemporaryDirectory(prefix="cs_lab_spark_", dir=local_dir) as d:
        path = Path(d) / "lines.parquet"
        lines[list(NEEDED)].to_parquet(path, index=False)
        yield path


def vocabularies(lines: "DataFrame") -> tuple[Vocabulary, Vocabulary]:
    """(items, customers) as ``Interactions.from_lines`` makes them: the sorted distinct ids."""
    from pyspark.sql import functions as F

    def distinct(col: str) -> np.ndarray:
        t = lines.where(F.col(col).isNotNull()).select(F.col(col).cast("string").alias(col)).distinct().toArrow()
        return np.sort(t.column(col).to_numpy(zero_copy_only=False).astype(str))

    return Vocabulary(distinct(S.ITEM)), Vocabulary(distinct(S.CUSTOMER))


def vocabulary_frame(spark: "SparkSession", vocab: Vocabulary, id_col: str, idx_col: str) -> "DataFrame":
    """(id, index) rows of a vocabulary, to join on."""
    import pyarrow as pa

    table = pa.table({id_col: pa.array(vocab.ids.astype(str), pa.string()),
                      idx_col: pa.array(np.arange(len(vocab), dtype=np.int32))})
    return spark.createDataFrame(table)


def basket_sets(lines: "DataFrame", items: Vocabulary, partitions: int) -> "DataFrame":
    """One row per basket holding any known item: ``items`` = sorted distinct item indices."""
    from pyspark.sql import functions as F

    spark = lines.sparkSession
    vocab = F.broadcast(vocabulary_frame(spark, items, S.ITEM, ITEM_IDX))
    return (lines.select(S.BASKET, F.col(S.ITEM).cast("string").alias(S.ITEM))
            .join(vocab, S.ITEM)
            .groupBy(S.BASKET).agg(F.array_sort(F.collect_set(ITEM_IDX)).alias("items"))
            .repartition(partitions))


def count_baskets(lines: "DataFrame") -> int:
    """Number of distinct baskets (the denominator of support, as in Interactions.n_baskets)."""
    return lines.select(S.BASKET).distinct().count()


def customer_item_counts(lines: "DataFrame", items: Vocabulary, customers: Vocabulary) -> "DataFrame":
    """(user, item, value): the number of the customer's baskets holding the item."""
    from pyspark.sql import functions as F

    spark = lines.sparkSession
    iv = F.broadcast(vocabulary_frame(spark, items, S.ITEM, ITEM_IDX))
    cv = vocabulary_frame(spark, customers, S.CUSTOMER, CUSTOMER_IDX)
    if len(customers) <= 5_000_000:
        cv = F.broadcast(cv)
    return (lines.where(F.col(S.CUSTOMER).isNotNull())
            .select(F.col(S.CUSTOMER).cast("string").alias(S.CUSTOMER), S.BASKET,
                    F.col(S.ITEM).cast("string").alias(S.ITEM))
            .distinct()
            .join(iv, S.ITEM).join(cv, S.CUSTOMER)
            .groupBy(CUSTOMER_IDX, ITEM_IDX).agg(F.count(F.lit(1)).cast("float").alias("value")))


def with_row_index(frame: "DataFrame", idx_col: str) -> "DataFrame":
    """``frame`` with ``idx_col`` numbering its rows 0..n-1 (int), computed inside the JVM.

    Like ``RDD.zipWithIndex`` without shipping every row through Python workers: the upper bits of
    ``monotonically_increasing_id`` hold the partition index, the lower 33 the row's position in
    it; the driver collects one row count per partition and turns them into offsets. The frame is
    checkpointed first, so it is computed once and numbered the same way in both passes.
    """
    from pyspark.sql import functions as F

    numbered = (frame.withColumn("_mid", F.monotonically_increasing_id())
                .withColumn("_part", F.shiftright("_mid", 33)).localCheckpoint(eager=True))
    counts = sorted(tuple(r) for r in numbered.groupBy("_part").count().collect())
    ends = itertools.accumulate(n for _, n in counts)
    starts = [(part, end - n) for (part, n), end in zip(counts, ends)]
    offsets = F.broadcast(frame.sparkSession.createDataFrame(starts, "_part long, _start long"))
    position = F.col("_mid") - F.shiftleft("_part", 33)
    return (numbered.join(offsets, "_part").withColumn(idx_col, (F.col("_start") + position).cast("int"))
            .drop("_mid", "_part", "_start"))


def basket_item_pairs(lines: "DataFrame", items: Vocabulary, partitions: int) -> "DataFrame":
    """(user, item, value=1) with one 'user' per basket holding a known item (numbered 0..n-1)."""
    from pyspark.sql import functions as F

    sets = with_row_index(basket_sets(lines, items, partitions), CUSTOMER_IDX)
    return sets.select(CUSTOMER_IDX, F.explode("items").alias(ITEM_IDX), F.lit(1.0).cast("float").alias("value"))
