"""cs_lab.spark.frames: JVM-side row numbering, and basket rows that match Interactions.basket_items
(the other frames are checked against Interactions in test_fpgrowth.py)."""

from __future__ import annotations

import pyarrow as pa
import pytest

from cs_lab.testing.data import contract_data


@pytest.mark.parametrize("partitions", [1, 3, 7])
def test_with_row_index_numbers_every_row_zero_to_n(spark, partitions):
    from cs_lab.spark.frames import with_row_index

    values = [f"k{i % 53}" for i in range(500)] + [None] * 5
    frame = spark.createDataFrame(pa.table({"key": pa.array(values, pa.string())})).repartition(partitions)
    got = with_row_index(frame, "idx").toArrow()
    assert got.column_names == ["key", "idx"]
    assert sorted(got.column("key").to_pylist(), key=str) == sorted(values, key=str)   # rows kept as they were
    assert sorted(got.column("idx").to_pylist()) == list(range(505))
    assert got.schema.field("idx").type == pa.int32()


def test_with_row_index_of_empty_frame(spark):
    from cs_lab.spark.frames import with_row_index

    frame = spark.createDataFrame(pa.table({"key": ["a"]})).where("key = 'b'")
    assert with_row_index(frame, "idx").count() == 0


def test_basket_item_pairs_are_the_local_basket_matrix(spark, tmp_path):
    """One Spark 'user' per basket: the same set of item rows as Interactions.basket_items, up to
    the numbering of baskets."""
    from cs_lab.spark.frames import basket_item_pairs, lines_parquet, read_lines

    train = contract_data(0).train
    with lines_parquet(train.lines, str(tmp_path)) as path:
        pairs = basket_item_pairs(read_lines(spark, path), train.items, 3).toArrow().to_pandas()
    assert pairs["user"].min() == 0 and pairs["user"].max() == train.n_baskets - 1
    assert (pairs["value"] == 1.0).all()
    spark_rows = sorted(tuple(sorted(g)) for _, g in pairs.groupby("user")["item"])
    bi = train.basket_items
    local_rows = sorted(tuple(sorted(bi.indices[bi.indptr[b]:bi.indptr[b + 1]].tolist()))
                        for b in range(train.n_baskets))
    assert spark_rows == local_rows
