"""Integration: splits on real datasets are leak-free and reproducible from the seed."""

import pytest

from cs_lab.data import schema as S
from cs_lab.data.splits import basket_completion, leave_last_basket, random_basket_split, temporal_split

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("name", ["online_retail", "online_retail_ii", "ta_feng", "complete_journey"])
def test_temporal_and_holdout_real(real_dataset, name):
    lines = real_dataset(name).lines
    s = temporal_split(lines, test_fraction=0.2)
    s.check_no_leakage()
    assert s.train[S.TIMESTAMP].max() < s.cutoff
    assert s.fingerprint == temporal_split(lines, test_fraction=0.2).fingerprint
    h1 = basket_completion(s.test, seed=11, max_queries=2000)
    h2 = basket_completion(s.test, seed=11, max_queries=2000)
    assert h1.fingerprint == h2.fingerprint and len(h1.queries) == 2000
    h1.check()


@pytest.mark.parametrize("name", ["online_retail", "complete_journey"])
def test_leave_last_real(real_dataset, name):
    s = leave_last_basket(real_dataset(name).lines)
    assert s.test[S.CUSTOMER].nunique() == s.test[S.BASKET].nunique()


def test_groceries_random_split(real_dataset):
    lines = real_dataset("groceries").lines
    s = random_basket_split(lines, seed=5)
    assert s.fingerprint == random_basket_split(lines, seed=5).fingerprint
    h = basket_completion(s.test, seed=5)
    assert len(h.queries) > 1000
