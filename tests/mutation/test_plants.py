"""The planted bugs of tests/mutation/plants.py are each caught by their module's tests."""

import pytest

from tests.mutation.plants import PLANTS, replay


@pytest.mark.slow
def test_every_plant_is_caught():
    rows = replay(PLANTS)
    survivors = [r["plant"] for r in rows if not r["caught"]]
    assert not survivors, survivors
