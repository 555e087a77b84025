"""Validation of recommendation arrays, truth and cut-offs."""

from __future__ import annotations

import numpy as np
import pytest

from cs_lab.errors import DataError
from cs_lab.eval import check_recs, evaluate, truth_from_lists
from cs_lab.eval.inputs import check_ks, pad_to


def test_valid_recs_pass_without_copy():
    recs = np.array([[0, 1, -1], [2, -1, -1]], dtype=np.int64)
    assert check_recs(recs, 3) is recs


@pytest.mark.parametrize("recs, match", [
    (np.array([0, 1]), "2-D"),
    (np.array([[0.0, 1.0]]), "integer"),
    (np.array([[0, 7]]), "outside"),
    (np.array([[0, -2]]), "outside"),
    (np.array([[0, -1, 2]]), "after -1 padding"),
    (np.array([[1, 2, 1]]), "item 1 more than once"),
])
def test_bad_recs_are_rejected(recs, match):
    with pytest.raises(DataError, match=match):
        check_recs(recs, 5)


def test_duplicate_check_can_be_skipped():
    assert check_recs(np.array([[1, 1]]), 5, check_duplicates=False).shape == (1, 2)


def test_truth_lists_out_of_range():
    with pytest.raises(DataError, match="outside"):
        truth_from_lists([[0, 9]], 5)


def test_ks_and_padding():
    assert check_ks([10, 5, 5]) == (5, 10)
    assert check_ks(3) == (3,)
    for bad in ([], [0], [2.5], [True]):
        with pytest.raises(DataError):
            check_ks(bad)
    np.testing.assert_array_equal(pad_to(np.array([[1, 2]]), 4), [[1, 2, -1, -1]])
    np.testing.assert_array_equal(pad_to(np.array([[1, 2, 3]]), 2), [[1, 2]])


def test_evaluate_rejects_misaligned_inputs():
    recs = np.array([[0, 1]])
    with pytest.raises(DataError, match="1 rows but truth has 2"):
        evaluate(recs, truth_from_lists([[0], [1]], 3), ks=(1,))
    with pytest.raises(DataError, match="inconsistent item counts"):
        evaluate(recs, truth_from_lists([[0]], 3), ks=(1,), n_items=4)
