"""CF models on real data (Online Retail, The Complete Journey) through the public API.

Temporal split (last 10% of time is test); a few hundred test baskets with at least two known
items each become a cart with one held-out item. Checks valid output, and that ALS beats a random
ranking on hit rate@10 for the held-out item.
"""

import time

import numpy as np
import pytest

from cs_lab.data import schema as S
from cs_lab.data.interactions import Interactions
from cs_lab.data.queries import Queries
from cs_lab.models import registry
from cs_lab.testing.data import assert_valid_output

pytestmark = [pytest.mark.integration, pytest.mark.filterwarnings("ignore:Method expects CSR input")]

K = 10
N_QUERIES = 300

MODELS = {
    "als": {"model": "als", "factors": 32, "iterations": 8, "alpha": 5.0, "regularization": 0.1},
    "bpr": {"model": "bpr", "factors": 32, "iterations": 30, "learning_rate": 0.05},
    "item_knn": {"model": "item_knn", "weighting": "cosine", "neighbours": 50, "train_on": "baskets"},
    "lightfm": {"model": "lightfm", "no_components": 16, "epochs": 2, "item_features": True},
}


def load_lines(name: str):
    from cs_lab.data import load_dataset
    from cs_lab.data.loaders import get_loader

    missing = get_loader(name).missing_raw()  # skip on the raw FILE, not on its folder
    if missing:
        pytest.skip(f"raw data of {name!r} not found: expected {missing}")

    lines = load_dataset(name).lines
    if name == "complete_journey":  # keep the test small: the last ~16 weeks
        lines = lines[lines[S.TIMESTAMP] >= lines[S.TIMESTAMP].max() - np.timedelta64(16 * 7, "D")]
    return lines


def held_out_queries(train: Interactions, test_lines, rng) -> tuple[Queries, np.ndarray]:
    idx = train.items.index(test_lines[S.ITEM].to_numpy())
    t = test_lines.assign(_i=idx)
    t = t[t["_i"] >= 0].drop_duplicates([S.BASKET, "_i"])
    groups = [g["_i"].to_numpy() for _, g in t.groupby(S.BASKET, sort=True) if len(g) >= 2]
    pick = rng.choice(len(groups), min(N_QUERIES, len(groups)), replace=False)
    carts, hidden = [], []
    for p in pick:
        items = rng.permutation(groups[p])
        hidden.append(items[0])
        carts.append(items[1:])
    return Queries.from_lists(carts, train.n_items), np.asarray(hidden)


@pytest.mark.parametrize("dataset", ["online_retail", "complete_journey"])
def test_cf_models_on_real_data(dataset):
    lines = load_lines(dataset)
    cut = lines[S.TIMESTAMP].quantile(0.9)
    train = Interactions.from_lines(lines[lines[S.TIMESTAMP] < cut])
    queries, hidden = held_out_queries(train, lines[lines[S.TIMESTAMP] >= cut], np.random.default_rng(0))
    assert len(queries) >= 100
    cart_sizes = np.diff(queries.carts.indptr)
    random_rate = float(np.mean(K / (train.n_items - cart_sizes)))
    rates, times = {}, {}
    for name, cfg in MODELS.items():
        t0 = time.perf_counter()
        model = registry.build(cfg).fit(train)
        ids, scores = model.recommend(queries, K)
        times[name] = time.perf_counter() - t0
        assert_valid_output(ids, scores, len(queries), K, train.n_items)
        for row, cart in zip(ids, queries.cart_lists()):
            assert not set(row.tolist()) & set(cart.tolist())
        rates[name] = float((ids == hidden[:, None]).any(axis=1).mean())
    print(f"\n{dataset}: {len(queries)} carts, {train.n_items} items; random hit@{K}={random_rate:.4f}; "
          + ", ".join(f"{n}={r:.3f} ({times[n]:.1f}s)" for n, r in rates.items()))
    assert rates["als"] > 3 * random_rate, (rates, random_rate)
