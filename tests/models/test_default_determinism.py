"""Same seed, default config -> bitwise identical factors (BPR, LMF and LightFM default to one
thread: their multithreaded SGD is lock-free Hogwild and not reproducible)."""

import numpy as np
import pytest

from cs_lab.models import registry


@pytest.fixture(scope="module")
def train():
    from cs_lab.data.interactions import Interactions
    from cs_lab.data.synthetic import generate

    # bigger than the contract data, so that two threads really race on shared factors
    return Interactions.from_lines(generate(n_customers=600, n_items=150, n_baskets=8000, seed=1).dataset.lines)


@pytest.mark.parametrize("config", [
    {"model": "bpr", "factors": 16, "iterations": 30, "seed": 7},
    {"model": "lmf", "factors": 16, "iterations": 10, "seed": 7},
    {"model": "lightfm", "no_components": 16, "epochs": 5, "seed": 7},
    {"model": "lightfm", "loss": "bpr", "no_components": 16, "epochs": 5, "seed": 7, "train_on": "baskets"},
])
def test_two_default_fits_give_identical_factors(train, config):
    a = registry.build(config).fit(train)
    b = registry.build(config).fit(train)
    assert a.get_params()["num_threads"] == 1
    for attr in ("item_factors_", "item_bias_", "customer_factors_"):
        assert np.array_equal(getattr(a, attr), getattr(b, attr)), attr
        assert getattr(a, attr).tobytes() == getattr(b, attr).tobytes(), attr

