"""The bundle miner: it must find a known complementary triple, compute lift as a brute-force count
does, and keep substitutes (same category) apart."""

from itertools import combinations

import numpy as np
import pytest

from cs_lab.errors import ConfigError
from cs_lab.models.bundle import mine_bundles

from tests.models.bundle.conftest import interactions, triple_baskets


@pytest.fixture(scope="module")
def train():
    baskets, price, category = triple_baskets()
    return interactions(baskets, price, category=category), baskets


def _names(train, bundles, b):
    return tuple(sorted(train.items.ids[bundles.bundle(b)].tolist()))


def test_finds_the_known_complementary_triple_first(train):
    t, _ = train
    bundles = mine_bundles(t.basket_items, min_support=0.05, min_lift=2.0, max_size=3,
                           category=t.item_categories["category_1"])
    assert _names(t, bundles, 0) == ("A", "B", "C")
    # its sub-pairs are bundles too, below it; the substitutes D, E (same category) are not
    names = [_names(t, bundles, b) for b in range(len(bundles))]
    assert {("A", "B"), ("A", "C"), ("B", "C")} <= set(names)
    assert ("D", "E") not in names
    assert all(len(n) in (2, 3) for n in names)


def test_without_categories_substitutes_are_kept(train):
    t, _ = train
    bundles = mine_bundles(t.basket_items, min_support=0.05, min_lift=2.0, max_size=3)
    assert ("D", "E") in [_names(t, bundles, b) for b in range(len(bundles))]


def test_support_and_lift_match_a_brute_force_count(train):
    t, baskets = train
    n = len(baskets)
    sets = [set(b) for b in baskets]
    bundles = mine_bundles(t.basket_items, min_support=0.01, min_lift=0.0, max_size=3)
    assert len(bundles) > 10
    seen = set()
    for b in range(len(bundles)):
        items = _names(t, bundles, b)
        seen.add(items)
        together = sum(set(items) <= s for s in sets) / n
        # the weakest rule (items minus i) -> i
        expected_lift = min(together / (sum(set(items) - {i} <= s for s in sets) / n * sum(i in s for s in sets) / n)
                            for i in items)
        assert bundles.support[b] == pytest.approx(together)
        assert bundles.lift[b] == pytest.approx(expected_lift)
    # every 2- and 3-item set held by >= 1% of baskets was found (brute force over all items)
    vocab = sorted({i for s in sets for i in s})
    for size in (2, 3):
        for combo in combinations(vocab, size):
            if sum(set(combo) <= s for s in sets) >= 0.01 * n:
                assert combo in seen, combo
    # ranked by lift
    assert (np.diff(bundles.lift) <= 1e-12).all()


def test_min_lift_and_max_bundles(train):
    t, _ = train
    all_ = mine_bundles(t.basket_items, min_support=0.01, min_lift=0.0)
    high = mine_bundles(t.basket_items, min_support=0.01, min_lift=3.0)
    assert len(high) < len(all_) and (high.lift >= 3.0).all()
    top = mine_bundles(t.basket_items, min_support=0.01, min_lift=0.0, max_bundles=5)
    np.testing.assert_array_equal(top.lift, all_.lift[:5])
    pairs = mine_bundles(t.basket_items, min_support=0.01, min_lift=0.0, max_size=2)
    assert (pairs.sizes == 2).all()


def test_bad_max_size():
    with pytest.raises(ConfigError, match="max_size"):
        import scipy.sparse as sp
        mine_bundles(sp.csr_matrix(np.ones((3, 3))), 0.1, max_size=1)


def test_a_triple_always_bought_with_its_pairs_ranks_first():
    from tests.models.bundle.conftest import interactions as make
    baskets = [["X", "Y", "Z"]] * 30 + [[f"n{i % 6}"] for i in range(90)]
    t = make(baskets, {n: 1.0 for n in ["X", "Y", "Z", *(f"n{i}" for i in range(6))]})
    b = mine_bundles(t.basket_items, min_support=0.1, min_lift=1.0)
    assert len(b) == 4 and np.allclose(b.lift, b.lift[0]) and np.allclose(b.support, b.support[0])
    assert _names(t, b, 0) == ("X", "Y", "Z")          # equal lift and support: the larger bundle first
