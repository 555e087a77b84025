import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cs_lab.data import schema as S
from cs_lab.data.interactions import Interactions
from cs_lab.data.queries import Queries
from cs_lab.errors import ConfigError
from cs_lab.models import registry
from cs_lab.models.business import BusinessRules, RulePackWarning, load_rule_pack
from cs_lab.testing.contract import RecommenderContract

PACK = str(Path(__file__).with_name("synthetic_pack.yaml"))


class TestBusinessRulesContract(RecommenderContract):
    def make_model(self, seed):
        return BusinessRules(pack=PACK, seed=seed)


class TestBusinessRulesSumContract(RecommenderContract):
    def make_model(self, seed):
        return BusinessRules(pack=PACK, combine="sum", tie_break="none", seed=seed)


# -- hand-made data ------------------------------------------------------------------------------------
def tiny() -> Interactions:
    """Items a..f; category_1: a,b -> X; c,d -> Y; e,f -> Z. Popularity (baskets): f 4, e 3, d 2, a b c 1."""
    cat = {"a": "X", "b": "X", "c": "Y", "d": "Y", "e": "Z", "f": "Z"}
    baskets = {"B1": "abcdef", "B2": "def", "B3": "ef", "B4": "f"}
    rows = [("u", b, i, cat[i]) for b, items in baskets.items() for i in items]
    df = pd.DataFrame(rows, columns=[S.CUSTOMER, S.BASKET, S.ITEM, "category_1"])
    df[S.TIMESTAMP] = pd.Timestamp("2024-01-01")
    df[S.QUANTITY], df[S.UNIT_PRICE], df[S.VALUE] = 1.0, 1.0, 1.0
    return Interactions.from_lines(S.conform_lines(df))


def write(tmp_path, text, name="pack.yaml"):
    p = tmp_path / name
    p.write_text(text)
    return str(p)


def recs(model, train, carts, k=6):
    q = Queries.from_lists([train.items.index(c) for c in carts], train.n_items)
    ids, scores = model.recommend(q, k)
    return ["".join(train.items.ids[i] for i in row if i >= 0) for row in ids], scores


PACK_TINY = """
name: tiny
level: category_1
rules:
  - {kind: item, if_items: [a], offer_items: [c, b], weight: 1}
  - {kind: category, if_categories: [X], offer_categories: [Z], weight: 2}
  - kind: offer
    when: {items: [c, d]}
    min_matches: 2
    offer: {categories: {category_1: [X]}, items: [e]}
    weight: 3
"""


def test_priority_then_popularity(tmp_path):
    t = tiny()
    m = BusinessRules(pack=write(tmp_path, PACK_TINY)).fit(t)
    got, scores = recs(m, t, [["a"], ["c"], ["c", "d"], []])
    # cart {a}: category X -> Z (weight 2: f before e by popularity), then item rule (weight 1: b, c tied on
    # popularity -> lower index first)
    assert got == ["febc", "", "eab", ""]
    assert scores[0, 0] == pytest.approx(2.0, abs=1e-6) and scores[0, 2] == pytest.approx(1.0, abs=1e-6)


def test_combine_sum_and_no_tie_break(tmp_path):
    t = tiny()
    m = BusinessRules(pack=write(tmp_path, PACK_TINY), combine="sum", tie_break="none").fit(t)
    got, scores = recs(m, t, [["a", "c", "d"]])
    # fired: item rule (b, c), category X->Z (e, f), offer rule (a, b, e). Sums: e 2+3, b 1+3, f 2
    assert got == ["ebf"]
    np.testing.assert_allclose(scores[0, :3], [5.0, 4.0, 2.0])


def test_fired_rules_names(tmp_path):
    t = tiny()
    m = BusinessRules(pack=write(tmp_path, PACK_TINY)).fit(t)
    q = Queries.from_lists([t.items.index(["a"]), t.items.index(["c", "d"])], t.n_items)
    assert m.fired_rules(q) == [["rules[0]", "rules[1]"], ["rules[2]"]]


def test_symmetric_and_model_level_override(tmp_path):
    t = tiny()
    pack = write(tmp_path, "name: s\nrules:\n  - {kind: category, if_categories: [X], offer_categories: [Y], "
                           "symmetric: true}\n")
    with pytest.raises(ConfigError, match="no category level"):
        BusinessRules(pack=pack).fit(t)
    m = BusinessRules(pack=pack, level="category_1").fit(t)
    assert recs(m, t, [["a"], ["d"]])[0] == ["dc", "ab"]


# -- validation ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("body, path", [
    ("name: p\nrules:\n  - {kind: item, if_items: [a], offer_itmes: [b]}\n", r"rules\[0\]\.offer_itmes"),
    ("name: p\nrules:\n  - {kind: item, if_items: [a], offer_items: [b]}\n  - {kind: cat}\n", r"rules\[1\]"),
    ("name: p\nrules:\n  - {kind: item, if_items: [a], offer_items: [b], weight: 0}\n", r"rules\[0\]\.weight"),
    ("name: p\nrules:\n  - kind: offer\n    when: {items: [a], colour: red}\n    offer: {items: [b]}\n",
     r"rules\[0\]\.when\.colour"),
    ("name: p\nrules:\n  - kind: offer\n    when: {}\n    offer: {items: [b]}\n", r"rules\[0\]\.when"),
    ("name: p\nrulez: []\n", r"rulez"),
])
def test_pack_errors_name_file_and_key_path(tmp_path, body, path):
    p = write(tmp_path, body, "bad_pack.yaml")
    with pytest.raises(ConfigError, match=path) as e:
        load_rule_pack(p)
    assert "bad_pack.yaml" in str(e.value)


def test_yaml_syntax_error_names_line(tmp_path):
    p = write(tmp_path, "name: p\nrules: [\n  - {kind: item\n", "broken.yaml")
    with pytest.raises(ConfigError, match=r"broken\.yaml line \d+"):
        load_rule_pack(p)


def test_numeric_ids_are_strings(tmp_path):
    pack = load_rule_pack(write(tmp_path, "name: p\nrules:\n  - {kind: item, if_items: 22423, offer_items: [21843]}\n"))
    assert pack.rules[0].if_items == ["22423"] and pack.rules[0].offer_items == ["21843"]


def test_unknown_ids_warn_by_default_and_error_on_request(tmp_path):
    t = tiny()
    p = write(tmp_path, "name: p\nlevel: category_1\nrules:\n"
                        "  - {kind: item, if_items: [a, NOPE], offer_items: [b]}\n"
                        "  - {kind: category, if_categories: [X], offer_categories: [NOCAT]}\n")
    with pytest.warns(RulePackWarning) as w:
        m = BusinessRules(pack=p).fit(t)
    text = str(w[0].message)
    assert "pack.yaml" in text and "rules[0].if_items" in text and "NOPE" in text
    assert "rules[1].offer_categories" in text and "NOCAT" in text and "inactive" in text
    assert recs(m, t, [["a"]])[0] == ["b"]
    with pytest.raises(ConfigError, match="NOPE"):
        BusinessRules(pack=p, missing="error").fit(t)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        BusinessRules(pack=p, missing="ignore").fit(t)


def test_pack_for_other_data_is_an_error(tmp_path):
    p = write(tmp_path, "name: p\nrules:\n  - {kind: item, if_items: [X1], offer_items: [X2]}\n")
    with pytest.raises(ConfigError, match="right pack"):
        BusinessRules(pack=p).fit(tiny())


def test_unknown_level_is_an_error(tmp_path):
    p = write(tmp_path, "name: p\nrules:\n  - {kind: category, level: category_3, if_categories: [X], "
                        "offer_categories: [Y]}\n")
    with pytest.raises(ConfigError, match=r"rules\[0\].*category_3"):
        BusinessRules(pack=p).fit(tiny())


def test_missing_pack_file():
    with pytest.raises(ConfigError, match="not found"):
        BusinessRules(pack="no/such/pack.yaml").fit(tiny())


def test_registered():
    assert registry.build({"model": "business_rules", "pack": PACK}).name == "business_rules"
