import numpy as np
import pandas as pd
import pytest

from cs_lab.data import schema as S
from cs_lab.data.interactions import Interactions
from cs_lab.data.queries import Queries
from cs_lab.data.synthetic import generate
from cs_lab.errors import ConfigError
from cs_lab.models.base import Recommender
from cs_lab.models.business import Guarded, GuardrailStats
from cs_lab.testing.contract import RecommenderContract

from .test_business_rules import PACK


class TestGuardedContract(RecommenderContract):
    full_list_for_empty_cart = True

    def make_model(self, seed):
        return Guarded(inner={"model": "popularity"}, seed=seed)


class TestGuardedRulesCappedContract(RecommenderContract):
    def make_model(self, seed):
        return Guarded(inner={"model": "fallback", "models": [{"model": "business_rules", "pack": PACK},
                                                             {"model": "personal_fallback"}]},
                       margin_floor=0.3, max_offers=3, cart_share=None, seed=seed)


# -- hand-made data ------------------------------------------------------------------------------------
PRICE = {"a": 10.0, "b": 4.0, "c": 2.0, "d": 1.0, "e": 0.5, "f": 20.0, "g": np.nan}
COST = {"d": 0.95, "e": 0.6}                     # d: 5% margin, e: sold below cost, others unknown
QTY = {"b": 5.0}                                 # typical quantity; others 1
# popularity (baskets): a 11, b 10, c 5, d 4, e 4, f 2, g 1 -> popularity order a b c d e f g


def tiny() -> Interactions:
    order = "abcdefg"
    rows = []
    for k, item in enumerate(order):
        for j in range(7 - k):
            rows.append(("n", f"N{j}", item, 0.0))
    rows += [("r", f"R{j}", "a", 0.0) for j in range(4)]     # r: heavy returner
    rows += [("s", f"S{j}", "b", 0.5) for j in range(4)]     # s: discounted lines ...
    rows += [("s", "S9", "e", 0.0)]                          # ... but one: share 4/5
    df = pd.DataFrame(rows, columns=[S.CUSTOMER, S.BASKET, S.ITEM, S.DISCOUNT])
    df[S.TIMESTAMP] = pd.Timestamp("2024-01-01")
    df[S.QUANTITY] = df[S.ITEM].map(QTY).fillna(1.0)
    df[S.UNIT_PRICE] = df[S.ITEM].map(PRICE)
    df[S.UNIT_COST] = df[S.ITEM].map(COST)
    df[S.VALUE] = df[S.QUANTITY] * df[S.UNIT_PRICE]
    lines = S.conform_lines(df)
    ret = lines[lines[S.CUSTOMER] == "r"].head(2).reset_index(drop=True)  # r returns 2 of 4 lines: rate 0.5
    ret[S.RETURN_REASON] = "return"
    returns = S.conform_returns(ret[list(S.RETURN_COLUMNS)])
    return Interactions.from_lines(lines, returns=returns)


OFF = dict(dearest_item=False, cart_share=None, margin_floor=None, returners={"threshold": None},
           discount_seekers={"threshold": None})


def guard(**kw) -> Guarded:
    return Guarded(inner={"model": "popularity"}, **{**OFF, **kw})


def recs(model, train, carts, customers=None, k=7):
    cust = None if customers is None else [train.customers.index([c])[0] if c else -1 for c in customers]
    q = Queries.from_lists([train.items.index(list(c)) for c in carts], train.n_items, customers=cust)
    ids, _ = model.fit(train).recommend(q, k) if not model.is_fitted else model.recommend(q, k)
    return ["".join(train.items.ids[i] for i in row if i >= 0) for row in ids]


def test_all_off_is_the_inner_model():
    t = tiny()
    assert recs(guard(), t, ["", "a"]) == ["abcdefg", "bcdefg"]


def test_dearest_item():
    t = tiny()
    # cart {b} (4.0): a (10), f (20) blocked; g has no price and passes unless unknown_price='block'
    assert recs(guard(dearest_item=True), t, ["b", "", "f"]) == ["cdeg", "abcdefg", "abcdeg"]
    assert recs(guard(dearest_item=True, unknown_price="block"), t, ["b", ""]) == ["cde", "abcdefg"]


def test_cart_share():
    t = tiny()
    # cart {f}: value 20 x 1 -> 10% = 2.0: c (2.0) allowed, a, b blocked
    # cart {b}: value 4 x typical quantity 5 = 20 -> 2.0 as well; cart {c, e}: 2.5 -> 0.25: nothing priced fits
    assert recs(guard(cart_share=0.1), t, ["f", "b", "ce"]) == ["cdeg", "cdeg", "g"]
    assert recs(guard(cart_share=0.5), t, ["f"]) == ["abcdeg"]      # 10.0: a is exactly at the cap


def test_margin_floor():
    t = tiny()
    assert recs(guard(margin_floor=0.0), t, [""]) == ["abcdfg"]         # e sells below cost
    assert recs(guard(margin_floor=0.1), t, [""]) == ["abcfg"]          # d's 5% margin is too thin


def test_returners_suppressed():
    t = tiny()
    m = guard(returners={"threshold": 0.25, "min_lines": 2})
    assert recs(m, t, ["", "", ""], customers=["r", "n", None]) == ["", "abcdefg", "abcdefg"]
    assert m.stats_.return_rate[t.customers.index(["r"])[0]] == pytest.approx(0.5)
    # too few lines -> never in the segment
    assert recs(guard(returners={"threshold": 0.25, "min_lines": 5}), t, [""], customers=["r"]) == ["abcdefg"]
    # restrict instead of suppress
    assert recs(guard(returners={"threshold": 0.25, "min_lines": 2, "action": "cheap_only", "max_price": 2.0}),
                t, ["a"], customers=["r"]) == ["cdeg"]


def test_discount_seekers_restricted():
    t = tiny()
    m = guard(discount_seekers={"threshold": 0.8, "min_lines": 2, "max_price": 1.0})
    assert recs(m, t, ["", ""], customers=["s", "n"]) == ["deg", "abcdefg"]
    # default cap: the 25% quantile of known item prices (0.5 1 2 4 10 20 -> 1.25)
    m = guard(discount_seekers={"threshold": 0.8, "min_lines": 2}, unknown_price="block")
    assert recs(m, t, [""], customers=["s"]) == ["de"]
    assert recs(guard(discount_seekers={"threshold": 0.9, "min_lines": 2}), t, [""], customers=["s"]) == ["abcdefg"]
    assert recs(guard(discount_seekers={"threshold": 0.8, "min_lines": 2, "action": "suppress"}), t, [""],
                customers=["s"]) == [""]


def test_max_offers_counts_real_offers():
    t = tiny()
    assert recs(guard(max_offers=2), t, ["", "a", "ab"]) == ["ab", "bc", "cd"]


def test_guardrails_combine():
    t = tiny()
    m = guard(dearest_item=True, margin_floor=0.0, max_offers=2)
    assert recs(m, t, ["b"]) == ["cd"]    # a, f too dear; e below cost; g unpriced passes but is 3rd


def test_defaults():
    g = Guarded(inner={"model": "popularity"})
    c = g.config
    assert c.dearest_item and c.cart_share == 0.10 and c.margin_floor == 0.0 and c.max_offers is None
    assert (c.returners.threshold, c.returners.action, c.returners.min_lines) == (0.25, "suppress", 10)
    assert (c.discount_seekers.threshold, c.discount_seekers.action) == (0.8, "cheap_only")
    p = g.get_params()
    assert p["inner.model"] == "popularity" and p["returners.threshold"] == 0.25 and p["cart_share"] == 0.1
    assert Recommender.from_params(p).get_params() == p


def test_bad_settings_rejected():
    with pytest.raises(ConfigError, match="returners.action"):
        Guarded(inner={"model": "popularity"}, returners={"action": "shout"})
    with pytest.raises(ConfigError, match="inner"):
        Guarded(inner={"model": "popularity", "bogus": 1})
    with pytest.raises(ConfigError, match="max_offers"):
        Guarded(inner={"model": "popularity"}, max_offers=0)


def test_heavy_returners_found_in_synthetic_data():
    syn = generate(n_customers=150, n_items=60, n_baskets=2500, seed=1)
    lines = syn.dataset.lines
    # returns drawn like the generator does (heavy returners send back 40% of lines, others 2%), built
    # here because S.conform drops the values of a frame whose index is not 0..n-1
    rng = np.random.default_rng(0)
    rate = np.where(lines[S.CUSTOMER].map(syn.segments).to_numpy() == "heavy_returner", 0.4, 0.02)
    ret = lines[rng.random(len(lines)) < rate].reset_index(drop=True)
    ret[S.RETURN_REASON] = "return"
    train = Interactions.from_lines(lines, returns=S.conform_returns(ret[list(S.RETURN_COLUMNS)]))
    stats = GuardrailStats.from_train(train)
    flagged = (stats.return_rate >= 0.25) & (stats.n_lines >= 10)
    seg = syn.segments.reindex(train.customers.ids).to_numpy()
    assert flagged.sum() > 0
    assert (seg[flagged] == "heavy_returner").mean() > 0.9
    assert flagged[seg == "heavy_returner"].mean() > 0.5
    assert np.isnan(stats.discount_share).all()      # the synthetic lines have no discount column


def test_save_load_keeps_stats(tmp_path):
    t = tiny()
    m = guard(discount_seekers={"threshold": 0.8, "min_lines": 2, "max_price": 1.0}, dearest_item=True).fit(t)
    m.save(tmp_path / "g")
    loaded = Recommender.load(tmp_path / "g")
    assert recs(loaded, t, ["", "b"], customers=["s", "n"]) == recs(m, t, ["", "b"], customers=["s", "n"])
