"""Long tables -> aligned arrays."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cs_lab.errors import DataError
from cs_lab.eval import arrays_from_tables, evaluate


def recs_table(rows):
    return pd.DataFrame(rows, columns=["query_id", "item_id", "rank"])


def truth_table(rows):
    return pd.DataFrame(rows, columns=["query_id", "item_id"])


def test_alignment_padding_and_missing_queries():
    recs = recs_table([("b", "y", 2), ("a", "x", 1), ("b", "z", 1), ("a", "w", 5)])
    truth = truth_table([("a", "w"), ("c", "x"), ("a", "w")])
    arr = arrays_from_tables(recs, truth)
    assert arr.query_ids.tolist() == ["a", "c", "b"]      # truth first, then recs-only
    assert arr.item_ids.tolist() == ["w", "x", "y", "z"]
    np.testing.assert_array_equal(arr.recs, [[1, 0], [-1, -1], [3, 2]])  # rank gaps collapse
    assert arr.truth.toarray().tolist() == [[2.0, 0, 0, 0], [0, 1, 0, 0], [0, 0, 0, 0]]
    res = evaluate(arr.recs, arr.truth, metrics=["hit_rate"], ks=(1, 2), query_ids=arr.query_ids)
    hit = res.per_query["hit_rate@2"]
    assert hit["a"] == 1.0 and hit["c"] == 0.0 and np.isnan(hit["b"])  # b has no truth
    assert res.n_empty_truth == 1


def test_shared_item_index_and_k_truncation():
    recs = recs_table([(1, 10, 1), (1, 11, 2), (1, 12, 3)])
    arr = arrays_from_tables(recs, truth_table([(1, 12)]), item_ids=[12, 11, 10, 99], k=2)
    np.testing.assert_array_equal(arr.recs, [[2, 1]])
    assert arr.truth.shape == (1, 4)


def test_unknown_items_error_or_drop():
    recs = recs_table([(1, "a", 1), (1, "zz", 2)])
    with pytest.raises(DataError, match="row 2.*'item_id'.*not in the item index"):
        arrays_from_tables(recs, truth_table([(1, "a")]), item_ids=["a"])
    arr = arrays_from_tables(recs, truth_table([(1, "a")]), item_ids=["a"], unknown="drop")
    np.testing.assert_array_equal(arr.recs, [[0]])


@pytest.mark.parametrize("rows, match", [
    ([(1, "a", 1), (1, "b", 1)], r"row 2, column 'rank': rank 1 appears twice"),
    ([(1, "a", 1), (1, "b", 1.5)], r"row 2, column 'rank': rank 1.5 is not an integer"),
    ([(1, "a", "x")], r"row 1, column 'rank': rank 'x' is not an integer"),
    ([(1, "a", 0)], "below 1"),
    ([(1, "a", 1), (1, "a", 2)], r"row 2, column 'item_id': item recommended twice"),
    ([(None, "a", 1)], r"row 1, column 'query_id': missing value"),
])
def test_bad_recommendation_tables(rows, match):
    with pytest.raises(DataError, match=match):
        arrays_from_tables(recs_table(rows), truth_table([(1, "a")]), recs_source="r.csv")


def test_missing_column_names_file_and_column():
    with pytest.raises(DataError, match=r"file r.csv, column 'rank'"):
        arrays_from_tables(pd.DataFrame({"query_id": [1], "item_id": [1]}), truth_table([(1, 1)]),
                           recs_source="r.csv")


def test_quantity_column_and_float_ranks():
    recs = recs_table([(1, "a", 2.0), (1, "b", 1.0)])
    truth = pd.DataFrame({"query_id": [1, 1], "item_id": ["a", "a"], "qty": [2.0, 3.0]})
    arr = arrays_from_tables(recs, truth, quantity="qty")
    np.testing.assert_array_equal(arr.recs, [[1, 0]])
    assert arr.truth.toarray()[0, 0] == 5.0


def test_unsorted_table_errors_name_the_original_row():
    recs = recs_table([(2, "a", 1), (1, "b", 2), (3, "zz", 1), (1, "c", 2)])
    with pytest.raises(DataError, match=r"row 4, column 'rank': rank 2 appears twice"):
        arrays_from_tables(recs, truth_table([(1, "a")]))
    with pytest.raises(DataError, match=r"row 4, column 'rank'"):
        arrays_from_tables(recs, truth_table([(1, "a")]), item_ids=["a", "b", "c"], unknown="drop")


def test_unsorted_table_is_ordered_by_query_and_rank():
    recs = recs_table([(2, "a", 3), (1, "b", 2), (2, "c", 1), (1, "a", 1)])
    arr = arrays_from_tables(recs, truth_table([(1, "a"), (2, "c")]))
    assert arr.query_ids.tolist() == [1, 2] and arr.item_ids.tolist() == ["a", "c", "b"]
    np.testing.assert_array_equal(arr.recs, [[0, 2], [1, 0]])
