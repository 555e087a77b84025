import numpy as np
import pytest

from cs_lab.models._topk import top_k, top_k_numpy


@pytest.mark.parametrize("seed", range(5))
def test_compiled_top_k_equals_stable_sort(seed):
    rng = np.random.default_rng(seed)
    for _ in range(60):
        n, m, k = rng.integers(1, 15), rng.integers(1, 50), rng.integers(1, 60)
        s = rng.integers(0, 4, (n, m)).astype(float)          # many ties
        s[rng.random((n, m)) < 0.3] = -np.inf
        s[rng.random((n, m)) < 0.1] = np.nan
        a, b = top_k(s, k), top_k_numpy(s, k)
        np.testing.assert_array_equal(a[0], b[0])
        np.testing.assert_array_equal(a[1], b[1])


def test_ties_broken_by_lower_index_and_padding():
    s = np.array([[1.0, 3.0, 3.0, -np.inf, 2.0], [-np.inf, -np.inf, 5.0, np.nan, -np.inf]])
    ids, sc = top_k(s, 4)
    assert ids.tolist() == [[1, 2, 4, 0], [2, -1, -1, -1]]
    assert np.isnan(sc[1, 1:]).all() and sc[0].tolist() == [3.0, 3.0, 2.0, 1.0]


def test_float32_blocks():
    rng = np.random.default_rng(1)
    s = rng.integers(0, 5, (20, 40)).astype(np.float32)
    s[rng.random((20, 40)) < 0.2] = -np.inf
    a, b = top_k(s, 7), top_k_numpy(s.astype(np.float64), 7)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
