"""Edges of the evaluation inputs that the mutation run found unpinned (docs/testing.md): the hit
matrix when every query has several hidden items, item-count inference from list truth, the
duplicate check being on by default, and the bounds of truth lists."""

from __future__ import annotations

import numpy as np
import pytest

from cs_lab.errors import DataError
from cs_lab.eval import evaluate, hit_matrix, truth_from_lists


def _hits_by_hand(recs, lists):
    return np.array([[r in set(t) for r in row] for row, t in zip(recs.tolist(), lists)])


@pytest.mark.parametrize("lists", [
    [[1, 4], [0, 2], [3, 5]],                 # every query has two hidden items
    [[1, 4, 6], [0, 2, 7], [3, 5, 6]],        # ... three
    [[1, 4, 6], [0], [3, 5]],                 # mixed lengths
])
def test_hit_matrix_matches_a_set_lookup(lists):
    recs = np.array([[4, 1, 2, 6, -1], [2, 7, 0, 1, 5], [6, 5, 3, 0, 4]])
    got = hit_matrix(recs, truth_from_lists(lists, 8))
    np.testing.assert_array_equal(got, _hits_by_hand(recs, lists))


def test_item_count_is_inferred_from_list_truth():
    recs = np.array([[0, 1], [2, -1]])
    res = evaluate(recs, [[1], [7]], metrics=["hit_rate", "coverage"], ks=2)
    assert res.summary["hit_rate"][2] == 0.5
    assert res.summary["coverage"][2] == pytest.approx(3 / 8)           # items 0..7: the truth's 7 counts
    assert evaluate(recs, [[1], [0]], metrics=["coverage"], ks=2).summary["coverage"][2] == pytest.approx(3 / 3)
    empty = np.zeros((2, 0), dtype=np.int64)
    assert evaluate(empty, [[0], [1]], metrics=["coverage"], ks=2).summary["coverage"][2] == 0.0
    nothing = evaluate(empty, [[], []], metrics=["coverage"], ks=2)      # no item anywhere: n_items 0
    assert np.isnan(nothing.summary["coverage"][2]) and nothing.n_empty_truth == 2


def test_duplicates_are_rejected_by_default():
    recs, truth = np.array([[1, 2, 1]]), truth_from_lists([[1]], 5)
    with pytest.raises(DataError, match="more than once"):
        evaluate(recs, truth, ks=3)
    assert evaluate(recs, truth, ks=3, check_duplicates=False, metrics=["hit_rate"]).summary["hit_rate"][3] == 1.0


def test_truth_list_bounds():
    with pytest.raises(DataError, match="outside"):
        truth_from_lists([[0, 5]], 5)
    with pytest.raises(DataError, match="outside"):
        truth_from_lists([[-1]], 5)
    assert truth_from_lists([[4]], 5).nnz == 1
    none = truth_from_lists([], 5)
    assert none.shape == (0, 5) and none.nnz == 0


@pytest.mark.parametrize("name", ["", "ndcg@10", None])
def test_metric_names_must_be_plain(name):
    from cs_lab.eval import Metric, register_metric

    attrs = {} if name is None else {"name": name}
    with pytest.raises(TypeError, match="needs a class attribute name"):
        register_metric(type("Bad", (Metric,), attrs))


def test_rank_below_one_names_its_own_row():
    import pandas as pd

    from cs_lab.eval import arrays_from_tables

    recs = pd.DataFrame([(1, "a", 1), (1, "b", 0)], columns=["query_id", "item_id", "rank"])
    with pytest.raises(DataError, match=r"row 2, column 'rank': rank 0 is below 1"):
        arrays_from_tables(recs, pd.DataFrame([(1, "a")], columns=["query_id", "item_id"]), recs_source="r.csv")
