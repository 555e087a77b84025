"""The planted bugs of tests/mutation/plants.py are each caught by their module's tests."""

import pytest

from tests.mutation.plants import CONTRACT_PLANTS, PLANTS, replay


@pytest.mark.slow
def test_every_plant_is_caught():
    rows = replay(PLANTS + CONTRACT_PLANTS)
    survivors = [r["plant"] for r in rows if not r["caught"]]
    assert not survivors, survivors
