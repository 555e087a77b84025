"""Catalog: validation and alignment from an item table."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cs_lab.errors import DataError
from cs_lab.eval import Catalog


def test_arrays_are_validated_and_frozen():
    cat = Catalog(price=[1, 2, 3], category=np.array([0, -1, 2]))
    assert cat.n_items == 3 and cat.has("price") and not cat.has("cost")
    assert cat.price.dtype == np.float64 and not cat.price.flags.writeable
    assert Catalog().n_items is None
    with pytest.raises(DataError, match="different lengths"):
        Catalog(price=[1.0, 2.0], cost=[1.0])
    with pytest.raises(DataError, match="integer codes"):
        Catalog(category=np.array([0.5, 1.0]))
    with pytest.raises(DataError, match=">= 0"):
        Catalog(popularity=[-1, 2])


def test_from_table_aligns_to_the_item_order():
    table = pd.DataFrame({"item_id": ["b", "a", "c"], "price_median": [2.0, 1.0, None],
                          "category_1": ["x", None, "y"], "n_lines": [5, 7, 1]})
    cat = Catalog.from_table(table, ["a", "b", "zz"], price="price_median", category="category_1",
                             popularity="n_lines")
    np.testing.assert_array_equal(cat.price, [1.0, 2.0, np.nan])
    np.testing.assert_array_equal(cat.popularity, [7, 5, 0])
    assert cat.category[0] == -1 and cat.category[1] >= 0 and cat.category[2] == -1
    with pytest.raises(DataError, match="'nope'"):
        Catalog.from_table(table, ["a"], price="nope")
