"""The vectorised hit matrix equals a brute-force membership test."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from cs_lab.eval import as_truth_matrix, hit_matrix, truth_from_lists
from tests.eval.conftest import random_case


def brute_force(recs: np.ndarray, truth: list[np.ndarray]) -> np.ndarray:
    return np.array([[item in set(t.tolist()) for item in row] for row, t in zip(recs, truth)],
                    dtype=bool).reshape(recs.shape)


def test_matches_brute_force_on_random_inputs():
    for seed in range(5):
        recs, truth = random_case(seed, n_queries=120, empty_share=0.2)
        got = hit_matrix(recs, truth_from_lists(truth, 60))
        np.testing.assert_array_equal(got, brute_force(recs, truth))


def test_one_very_long_truth_list_and_padding():
    recs = np.array([[5, 3, -1], [0, 1, 2], [-1, -1, -1]])
    truth = truth_from_lists([list(range(0, 1000, 1)), [2], []], 1000)
    np.testing.assert_array_equal(hit_matrix(recs, truth),
                                  [[True, True, False], [False, False, True], [False] * 3])


def test_truth_values_only_mark_relevance():
    mat = sp.csr_array(np.array([[0.0, 3.0, -1.0, 0.5], [0.0, 0.0, 0.0, 0.0]]))
    canon = as_truth_matrix(mat)
    assert canon.nnz == 2 and canon.indices.tolist() == [1, 3]
    hits = hit_matrix(np.array([[2, 1, 3], [0, -1, -1]]), canon)
    np.testing.assert_array_equal(hits, [[False, True, True], [False, False, False]])


def test_empty_inputs():
    assert hit_matrix(np.zeros((0, 3), dtype=np.int64), truth_from_lists([], 4)).shape == (0, 3)
    assert not hit_matrix(np.array([[1, 2]]), truth_from_lists([[]], 4)).any()
