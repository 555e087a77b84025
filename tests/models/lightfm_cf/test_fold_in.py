"""LightFM cart fold-in: a training customer's history, folded in as an anonymous cart against the
fixed item representations, gives back the user vector LightFM trained (fold_in.py)."""

import numpy as np
import pytest

from cs_lab.data.interactions import Interactions
from cs_lab.data.synthetic import generate
from cs_lab.models.lightfm_cf import LightFMModel
from tests.models.implicit_cf.test_fold_in import compare_with_trained

pytest.importorskip("lightfm")


@pytest.fixture(scope="module")
def train():
    return Interactions.from_lines(generate(n_customers=200, n_items=100, n_baskets=6000, seed=3).dataset.lines)


@pytest.mark.parametrize("loss", ["warp", "bpr"])
def test_history_fold_in_recovers_the_trained_user(train, loss):
    m = LightFMModel(loss=loss, no_components=16, epochs=40, learning_rate=0.05, num_threads=1, seed=1,
                     use_customer=True).fit(train)
    cos, overlap, rho = compare_with_trained(m, m._fold_in_history(train.customer_items), train)
    assert cos > 0.9, (cos, overlap, rho)
    assert overlap > 0.7, (cos, overlap, rho)
    assert rho > 0.9, (cos, overlap, rho)


def test_cart_vector_is_not_the_mean_of_its_items(train):
    m = LightFMModel(no_components=8, epochs=5, num_threads=1, seed=1).fit(train)
    carts = train.customer_items[:20]
    vec = m._fold_in_carts(carts)
    mean = (carts.astype(bool).astype(float) @ m.item_factors_) / carts.getnnz(axis=1)[:, None]
    cos = (vec * mean).sum(1) / np.linalg.norm(vec, axis=1) / np.linalg.norm(mean, axis=1)
    assert cos.max() < 0.999
