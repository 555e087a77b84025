"""FP-Growth and Apriori: exact against brute force, canonical order, edge cases, bad input."""

import numpy as np
import pytest
import scipy.sparse as sp

from cs_lab.errors import ConfigError, DataError
from cs_lab.models.rules import apriori, fpgrowth, frequent_itemsets
from cs_lab.models.rules._prepare import min_count
from tests.models.rules.conftest import as_dict, brute_force, random_baskets

MINERS = [fpgrowth, apriori]


def tiny() -> sp.csr_matrix:
    # items: 0 bread, 1 milk, 2 butter, 3 beer
    rows = [[0, 1], [0, 1, 2], [0, 2], [1], [0, 1, 2], [3]]
    return sp.csr_matrix((np.ones(sum(map(len, rows))), (np.repeat(np.arange(len(rows)), [len(r) for r in rows]),
                                                          np.concatenate(rows))), shape=(6, 4))


@pytest.mark.parametrize("miner", MINERS)
@pytest.mark.parametrize("seed,density,min_support,max_len", [
    (0, 0.25, 0.05, None), (1, 0.35, 0.1, None), (2, 0.2, 0.02, 3), (3, 0.4, 0.15, 2),
    (4, 0.3, 0.5, None), (5, 0.5, 0.08, None),
])
def test_equals_brute_force(miner, seed, density, min_support, max_len):
    x = random_baskets(80, 9, density, seed)
    sets = miner(x, min_support, max_len)
    assert as_dict(sets) == brute_force(x, min_support, max_len)
    np.testing.assert_array_equal(sets.support, sets.counts / 80)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_fpgrowth_and_apriori_agree_array_for_array(seed):
    x = random_baskets(300, 25, 0.15, seed)
    a, b = fpgrowth(x, 0.01), apriori(x, 0.01)
    assert len(a) > 100
    for f in ("indptr", "items", "counts"):
        np.testing.assert_array_equal(getattr(a, f), getattr(b, f))


def test_canonical_order():
    sets = fpgrowth(random_baskets(200, 15, 0.3, 7), 0.02)
    sizes = sets.sizes
    assert (np.diff(sizes) >= 0).all()
    keys = [(len(s), s) for s in (tuple(sets.itemset(i).tolist()) for i in range(len(sets)))]
    assert keys == sorted(keys)
    assert all(list(k[1]) == sorted(k[1]) for k in keys)
    b = sets.bounds
    for k in range(1, sets.max_size + 1):
        assert (sizes[b[k]:b[k + 1]] == k).all()


@pytest.mark.parametrize("miner", MINERS)
def test_hand_made(miner):
    sets = miner(tiny(), 2 / 6)
    assert as_dict(sets) == {frozenset({0}): 4, frozenset({1}): 4, frozenset({2}): 3,
                             frozenset({0, 1}): 3, frozenset({0, 2}): 3, frozenset({1, 2}): 2,
                             frozenset({0, 1, 2}): 2}
    assert sets.index([2, 0]) == sets.index([0, 2]) >= 0 and sets.index([3]) == -1
    df = sets.to_frame(labels=np.array(["bread", "milk", "butter", "beer"]))
    assert list(df.columns) == ["support", "itemsets", "count"]
    assert df.loc[df.itemsets == frozenset({"bread", "milk", "butter"}), "support"].item() == 2 / 6


@pytest.mark.parametrize("miner", MINERS)
def test_max_len(miner):
    x = tiny()
    assert miner(x, 2 / 6, max_len=1).max_size == 1
    two = as_dict(miner(x, 2 / 6, max_len=2))
    assert max(map(len, two)) == 2 and frozenset({0, 1, 2}) not in two


@pytest.mark.parametrize("miner", MINERS)
def test_empty_result_and_min_support_one(miner):
    x = tiny()
    empty = miner(x, 5 / 6)
    assert len(empty) == 0 and empty.max_size == 0 and empty.to_frame().empty
    everywhere = sp.csr_matrix(np.array([[1, 1, 0], [1, 1, 1], [1, 1, 0]]))
    assert as_dict(miner(everywhere, 1.0)) == {frozenset({0}): 3, frozenset({1}): 3, frozenset({0, 1}): 3}
    assert len(miner(sp.csr_matrix((0, 4)), 0.5)) == 0


def test_input_is_cleaned_not_modified():
    x = sp.coo_matrix((np.array([1.0, 1.0, 0.0, 3.0, 1.0]), (np.array([0, 0, 1, 1, 2]),
                                                           np.array([0, 0, 1, 2, 2]))), shape=(3, 3)).tocsr()
    x.has_canonical_format = False
    before = x.data.copy()
    assert as_dict(fpgrowth(x, 1 / 3)) == {frozenset({0}): 1, frozenset({2}): 2}
    np.testing.assert_array_equal(x.data, before)


def test_min_count_is_exact():
    assert min_count(0.07, 100) == 7          # 0.07 * 100 = 7.000000000000001 in float
    assert min_count(0.01, 9835) == 99
    assert min_count(1.0, 10) == 10
    assert min_count(1e-9, 10) == 1


@pytest.mark.parametrize("miner", MINERS)
def test_threshold_is_exact_for_every_size(miner):
    """A pair in exactly 7 of 100 baskets has support 0.07 >= 0.07 (mlxtend 0.25 drops it there:
    its ceil(0.07 * 100) is 8 for itemsets of two or more items)."""
    x = np.zeros((100, 3), bool)
    x[:7, [0, 1]] = True
    x[7:17, [0, 2]] = True
    x[17:27, [1, 2]] = True
    x[27:37, 2] = True
    sets = as_dict(miner(sp.csr_matrix(x), 0.07))
    assert sets[frozenset({0, 1})] == 7
    assert set(sets) == {frozenset(s) for s in ([0], [1], [2], [0, 1], [0, 2], [1, 2])}


@pytest.mark.parametrize("bad", [0.0, -0.1, 1.5, True, "0.1", None])
def test_bad_min_support(bad):
    with pytest.raises(ConfigError, match="min_support"):
        fpgrowth(tiny(), bad)


@pytest.mark.parametrize("bad", [0, -1, 2.5])
def test_bad_max_len(bad):
    with pytest.raises(ConfigError, match="max_len"):
        apriori(tiny(), 0.1, max_len=bad)


def test_dense_input_rejected():
    with pytest.raises(DataError, match="sparse"):
        fpgrowth(tiny().toarray(), 0.1)


def test_unknown_algorithm():
    with pytest.raises(ConfigError, match="algorithm"):
        frequent_itemsets(tiny(), 0.1, algorithm="eclat")


@pytest.mark.parametrize("miner", MINERS)
def test_too_many_itemsets_is_a_clear_error(miner):
    with pytest.raises(ConfigError, match="more than 5 frequent itemsets"):
        miner(random_baskets(50, 10, 0.5, 0), 0.02, max_itemsets=5)


def test_gather():
    sets = fpgrowth(tiny(), 2 / 6)
    ids = np.array([len(sets) - 1, 0])
    offsets, items = sets.gather(ids)
    assert [items[offsets[i]:offsets[i + 1]].tolist() for i in range(2)] == [[0, 1, 2], [0]]
