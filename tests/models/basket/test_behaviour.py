"""Behaviour of the basket baselines on small hand-made and generated data: decay direction, group
arithmetic, neighbour choice (the customer itself excluded), recency window, asymmetric cosine, the
repeat/explore share, and exact agreement with loop-based reference implementations
(tests/models/basket/reference.py)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from cs_lab.data import schema as S
from cs_lab.data.interactions import Interactions
from cs_lab.data.queries import Queries
from cs_lab.models.basket import TIFUKNN, UPCF, BasketSequences, RepeatExplore
from cs_lab.models.basket.tifu_knn import tifu_weights
from cs_lab.testing.data import contract_data
from tests.models.basket import reference as ref


def make_train(baskets: list[tuple[str | None, list[str], int]]) -> Interactions:
    """(customer or None, items, day) per basket, in this order of appearance."""
    rows = []
    for b, (cust, items, day) in enumerate(baskets):
        for it in items:
            rows.append({S.CUSTOMER: cust, S.BASKET: f"B{b:03d}", S.ITEM: it,
                         S.TIMESTAMP: pd.Timestamp("2024-01-01") + pd.Timedelta(days=day),
                         S.QUANTITY: 1.0, S.UNIT_PRICE: 1.0, S.VALUE: 1.0})
    lines = pd.DataFrame(rows)
    lines[S.CUSTOMER] = lines[S.CUSTOMER].astype(S.STRING)
    return Interactions.from_lines(lines)


def queries_for(train: Interactions, rows: list[tuple[str | None, list[str]]]) -> Queries:
    carts = [train.items.index(np.array(items, dtype=object)) if items else [] for _, items in rows]
    cust = [train.customers.index(np.array([c]))[0] if c is not None else -1 for c, _ in rows]
    return Queries.from_lists(carts, train.n_items, customers=cust)


def ranked(model, train, q, k=None) -> list[list[str]]:
    ids, _ = model.recommend(q, k or train.n_items)
    names = np.asarray(train.items.ids, dtype=object)
    return [[names[i] for i in row if i >= 0] for row in ids]


# -- sequences ------------------------------------------------------------------------------------
def test_sequences_are_per_customer_in_time_order_without_anonymous_baskets():
    # given out of time order; an anonymous basket; two baskets of u1 on the same day (first appearance first)
    train = make_train([("u1", ["c"], 5), ("u2", ["x"], 1), (None, ["z"], 0), ("u1", ["a"], 1),
                        ("u1", ["b"], 3), ("u1", ["d"], 5)])
    seq = BasketSequences.from_interactions(train)
    u1 = train.customers.index(np.array(["u1"]))[0]
    rows = seq.baskets[seq.indptr[u1]:seq.indptr[u1 + 1]]
    names = np.asarray(train.items.ids, dtype=object)
    assert [names[r.indices].tolist() for r in rows] == [["a"], ["b"], ["c"], ["d"]]
    assert seq.baskets.shape[0] == 5                      # the anonymous basket is not in any sequence


def test_profiles_put_the_cart_newest_and_pass_n_and_j():
    train = make_train([("u1", ["a"], 0), ("u1", ["b"], 1), ("u1", ["c"], 2)])
    seq = BasketSequences.from_interactions(train)
    u1 = train.customers.index(np.array(["u1"]))[0]
    d = train.items.index(np.array(["a", "b", "c"]))
    # weight = 10 * n + j: without a cart n = 3, j = 2, 1, 0 for a, b, c
    p = seq.profiles(np.array([u1]), lambda n, j: 10.0 * n + j).toarray()[0]
    assert p[d].tolist() == [32.0, 31.0, 30.0]
    cart = sp.csr_matrix(([1.0], ([0], [d[0]])), shape=(1, train.n_items))   # cart {a}: n = 4
    p = seq.profiles(np.array([u1]), lambda n, j: 10.0 * n + j, cart).toarray()[0]
    assert p[d].tolist() == [43.0 + 40.0, 42.0, 41.0]    # a: the oldest (j = 3) plus the cart (j = 0)
    p = seq.profiles(np.array([-1]), lambda n, j: 10.0 * n + j, cart).toarray()[0]
    assert p[d].tolist() == [10.0, 0.0, 0.0]              # anonymous: the cart is the only basket (n = 1)


# -- TIFU-KNN ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("n", [1, 2, 3, 5, 7, 8, 14, 15, 23])
@pytest.mark.parametrize("m", [1, 3, 7])
def test_tifu_weights_follow_the_paper_grouping(n, m):
    baskets = [{j} for j in range(n)]                      # basket t holds item t: its weight is v[t]
    v = ref.tifu_vector(baskets, n, m, 0.9, 0.6)
    j = n - 1 - np.arange(n)                               # position from the end
    np.testing.assert_allclose(tifu_weights(np.full(n, n), j, m, 0.9, 0.6), v, rtol=1e-12)


def test_tifu_recent_items_outrank_old_ones():
    # same frequency; "old" only in the first baskets, "new" only in the last ones
    train = make_train([("u", ["old"], 0), ("u", ["old"], 1), ("u", ["old", "x"], 2),
                        ("u", ["new"], 3), ("u", ["new"], 4), ("u", ["new", "y"], 5), ("v", ["z"], 1)])
    q = queries_for(train, [("u", [])])
    for m in (1, 2, 6):
        model = TIFUKNN(alpha=1.0, group_size=m, within_decay=0.8, group_decay=0.5, fallback="none").fit(train)
        top = ranked(model, train, q)[0]
        assert top[0] == "new" and top.index("new") < top.index("old"), (m, top)


def test_tifu_uses_the_nearest_other_customer_not_itself():
    # u and v share a, b, c; v also bought "nb". w bought other things. u's own "mine" must not come
    # from a neighbour (u is not its own neighbour).
    train = make_train([("u", ["a", "b", "c", "mine"], 0), ("v", ["a", "b", "c", "nb"], 0),
                        ("w", ["p", "r", "s", "far"], 0), ("w", ["p", "far"], 1)])
    model = TIFUKNN(alpha=0.0, neighbours=1, fallback="none").fit(train)
    top = ranked(model, train, queries_for(train, [("u", [])]))[0]
    assert set(top) == {"a", "b", "c", "nb"}               # v's items only: not u's "mine", not w's
    # an anonymous cart {p} finds w
    top = ranked(model, train, queries_for(train, [(None, ["p"])]))[0]
    assert set(top) == {"r", "s", "far"} and top[0] == "far"


def test_tifu_matches_the_loop_reference_on_generated_data():
    d = contract_data(0)
    params = dict(neighbours=7, group_size=3, within_decay=0.8, group_decay=0.6, alpha=0.4)
    model = TIFUKNN(fallback="none", **params).fit(d.train)
    got = model._score(d.queries)
    want = ref.tifu_scores(d.train, d.queries, params["neighbours"], params["group_size"],
                           params["within_decay"], params["group_decay"], params["alpha"])
    assert np.array_equal(np.isfinite(got), np.isfinite(want))
    np.testing.assert_allclose(got[np.isfinite(got)], want[np.isfinite(want)], rtol=1e-9)


# -- UP-CF@r ----------------------------------------------------------------------------------------
def test_upcf_recency_window_keeps_only_the_last_r_baskets():
    train = make_train([("u", ["old"], 0), ("u", ["mid"], 1), ("u", ["new"], 2), ("v", ["zzz"], 0)])
    q = queries_for(train, [("u", [])])
    assert ranked(UPCF(recency=1, fallback="none").fit(train), train, q)[0] == ["new"]
    assert set(ranked(UPCF(recency=2, fallback="none").fit(train), train, q)[0]) == {"new", "mid"}
    assert set(ranked(UPCF(recency=0, fallback="none").fit(train), train, q)[0]) == {"new", "mid", "old"}


def test_upcf_asymmetric_cosine_prefers_by_alpha():
    # query u bought {a, b}. v1 bought {a, b} + 6 more items (covers u, large), v2 bought {a} only
    # (small). sim(u, v) = |∩| / (|I_u|^alpha |I_v|^(1-alpha)): alpha = 1 -> v1 (2/2) beats v2 (1/2);
    # alpha = 0 -> v2 (1/1) beats v1 (2/8).
    big = ["a", "b", "x1", "x2", "x3", "x4", "x5", "x6"]
    train = make_train([("u", ["a", "b"], 0), ("v1", big, 0), ("v2", ["a", "only_v2"], 0)])
    q = queries_for(train, [("u", [])])
    top1 = ranked(UPCF(alpha=1.0, neighbours=1, self_weight=0.0, fallback="none").fit(train), train, q)[0]
    top0 = ranked(UPCF(alpha=0.0, neighbours=1, self_weight=0.0, fallback="none").fit(train), train, q)[0]
    assert "x1" in top1 and "only_v2" not in top1
    assert "only_v2" in top0 and "x1" not in top0


@pytest.mark.parametrize("params", [dict(recency=3, alpha=0.25, locality=2.0, neighbours=10, self_weight=1.0),
                                    dict(recency=0, alpha=0.75, locality=5.0, neighbours=0, self_weight=0.5)])
def test_upcf_matches_the_loop_reference_on_generated_data(params):
    d = contract_data(0)
    model = UPCF(fallback="none", **params).fit(d.train)
    got = model._score(d.queries)
    want = ref.upcf_scores(d.train, d.queries, params["recency"], params["alpha"], params["locality"],
                           params["neighbours"], params["self_weight"])
    assert np.array_equal(np.isfinite(got), np.isfinite(want))
    np.testing.assert_allclose(got[np.isfinite(got)], want[np.isfinite(want)], rtol=1e-9)


# -- repeat / explore -------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def mixture_data():
    d = contract_data(0)
    known = np.flatnonzero(d.queries.customers >= 0)
    hist = d.train.customer_items[d.queries.customers[known]].tocsr()
    return d, known, hist


@pytest.mark.parametrize("share,expected", [(0.5, 5), (0.8, 8), (0.3, 3)])
def test_interleave_gives_the_repeat_share_of_each_list(mixture_data, share, expected):
    d, known, hist = mixture_data
    ids, _ = RepeatExplore(repeat_share=share, neighbours=10).fit(d.train).recommend(d.queries, 10)
    cart = d.queries.carts
    for row, q in zip(ids[known], known):
        bought = set(d.train.customer_items[d.queries.customers[q]].indices.tolist())
        available = len(bought - set(cart[q].indices.tolist()))
        n_rep = sum(int(i) in bought for i in row)
        assert n_rep == min(expected, available), (share, row, available)


def test_explore_list_never_holds_bought_items_and_ignores_the_share(mixture_data):
    d, known, hist = mixture_data
    exclude = sp.csr_matrix(np.zeros(d.queries.carts.shape))
    exclude = sp.lil_matrix(exclude.shape)
    for q in known:
        exclude[q, d.train.customer_items[d.queries.customers[q]].indices] = 1.0
    exclude = exclude.tocsr()
    a = RepeatExplore(repeat_share=0.1, neighbours=10).fit(d.train).recommend(d.queries, 10, exclude=exclude)
    b = RepeatExplore(repeat_share=0.9, neighbours=10).fit(d.train).recommend(d.queries, 10, exclude=exclude)
    np.testing.assert_array_equal(a[0], b[0])              # history excluded: the explore list only
    c = RepeatExplore(repeat_share=0.0, neighbours=10).fit(d.train).recommend(d.queries, 10)
    for row, q in zip(c[0][known], known):                 # share 0: the explore list alone, no bought item
        assert not (set(row.tolist()) & set(d.train.customer_items[d.queries.customers[q]].indices.tolist()))


def test_repeat_list_prefers_recent_purchases():
    train = make_train([("u", ["old"], 0), ("u", ["old"], 1), ("u", ["new"], 2), ("u", ["new"], 3),
                        ("v", ["old", "new", "other"], 0)])
    q = queries_for(train, [("u", [])])
    top = ranked(RepeatExplore(repeat_share=1.0, repeat_decay=0.5, neighbours=5).fit(train), train, q)[0]
    assert top[:2] == ["new", "old"]
    # decay 1 = plain counts: a tie, broken by the lower item index ("new" < "old" alphabetically too),
    # so check a strict case: "old" bought three times beats "new" bought twice
    train = make_train([("u", ["old"], 0), ("u", ["old"], 1), ("u", ["old"], 2), ("u", ["new"], 3),
                        ("u", ["new"], 4), ("v", ["other"], 0)])
    q = queries_for(train, [("u", [])])
    top = ranked(RepeatExplore(repeat_share=1.0, repeat_decay=1.0, neighbours=5).fit(train), train, q)[0]
    assert top[:2] == ["old", "new"]


def test_explore_follows_item_neighbours_of_the_cart():
    # "bread" co-occurs with "butter" in many baskets, never with "soap"
    rows = [(f"c{i}", ["bread", "butter"], i) for i in range(6)] + [(f"d{i}", ["soap", "sponge"], i) for i in range(6)]
    train = make_train(rows + [("u", ["milk"], 9)])
    q = queries_for(train, [("u", ["bread"]), (None, ["soap"])])
    top = ranked(RepeatExplore(repeat_share=0.0, weighting="cosine", neighbours=5).fit(train), train, q, k=1)
    assert top == [["butter"], ["sponge"]]


@pytest.mark.parametrize("model", [TIFUKNN(neighbours=5), UPCF(), RepeatExplore(neighbours=5)],
                         ids=["tifu_knn", "upcf", "repeat_explore"])
def test_anonymous_only_data_falls_back_gracefully(model):
    # no basket has a customer: no sequences, no neighbours; carts still get a full list
    train = make_train([(None, ["a", "b"], 0), (None, ["a", "c"], 1), (None, ["b", "c", "d"], 2)])
    assert train.n_customers == 0
    q = queries_for(train, [(None, ["a"]), (None, [])])
    ids, scores = model.fit(train).recommend(q, 3)
    assert (ids >= 0).all() and np.isfinite(scores).all()
    assert 0 not in ids[0]                                  # "a" is in the cart


def test_interleave_continues_with_the_popularity_tail_ranked_among_new_items():
    # u bought the four most popular items (p1..p4); nothing reaches new items (empty cart,
    # history_weight 0), so the explore list is the tail: the most popular items u never bought.
    rows = [(f"c{i}", ["p1", "p2", "p3", "p4"], i) for i in range(8)]
    rows += [(f"d{i}", ["q1", "q2", "q3"], i) for i in range(5)] + [(f"e{i}", ["q1"], i) for i in range(3)]
    rows += [("u", ["p1", "p2"], 20), ("u", ["p3", "p4"], 21)]
    train = make_train(rows)
    q = queries_for(train, [("u", [])])
    model = RepeatExplore(repeat_share=0.5, history_weight=0.0, neighbours=5).fit(train)
    top = ranked(model, train, q, k=6)[0]
    # repeat: p3, p4 (newest, tie -> lower index), then p1; tail: q1, q2, q3 by popularity, each tail
    # rank counted among items u never bought (q1 is rank 0, not 4); equal scores -> lower index first
    assert top == ["p3", "q1", "p4", "q2", "p1", "q3"], top


def test_basket_models_are_deterministic_and_registered():
    from cs_lab.models import registry

    for name, cls in (("tifu_knn", TIFUKNN), ("upcf", UPCF), ("repeat_explore", RepeatExplore)):
        assert registry.get(name) is cls and cls.stochastic is False


def _reference_interleave(model, queries):
    """The interleave's scores as first written (dense NumPy: a cumulative count of the items off
    the tail ahead of each popularity position, a per-row argsort for the ranks): the compiled
    tail and the sort-based ranks must give the same numbers, bit for bit."""
    n, n_items = len(queries), model.n_items
    repeat, explore, off_tail = model._lists(queries)
    pop = model.popularity_
    seen = pop > 0
    s = np.full((n, n_items), -np.inf)

    def ranks(m):
        out = np.empty(m.nnz, dtype=np.int64)
        for r in range(m.shape[0]):
            a, b = m.indptr[r], m.indptr[r + 1]
            out[a + np.argsort(-m.data[a:b], kind="stable")] = np.arange(b - a)
        return out

    share = min(max(model.config.repeat_share, 1e-6), 1.0 - 1e-6)
    s[np.repeat(np.arange(n), np.diff(repeat.indptr)), repeat.indices] = -(ranks(repeat) + 0.5) / share
    s[np.repeat(np.arange(n), np.diff(explore.indptr)), explore.indices] = -(ranks(explore) + 0.5) / (1.0 - share)
    order = np.lexsort((np.arange(n_items), -pop))
    order = order[seen[order]]
    gpos = np.full(n_items, -1, dtype=np.int64)
    gpos[order] = np.arange(len(order))
    off = np.zeros((n, len(order)), dtype=bool)
    o_rows = np.repeat(np.arange(n), np.diff(off_tail.indptr))
    gp = gpos[off_tail.indices]
    off[o_rows[gp >= 0], gp[gp >= 0]] = True
    before = np.cumsum(off, axis=1, dtype=np.int64) - off
    rank = np.diff(explore.indptr)[:, None] + np.arange(len(order))[None, :] - before
    block = s[:, order]
    np.copyto(block, -(rank + 0.5) / (1.0 - share), where=~off)
    s[:, order] = block
    return s


@pytest.mark.parametrize("share,history_weight", [(0.6, 0.1), (0.0, 0.0), (1.0, 0.5), (0.3, 0.0)])
def test_interleave_scores_equal_the_dense_reference(mixture_data, share, history_weight):
    d, _, _ = mixture_data
    m = RepeatExplore(repeat_share=share, history_weight=history_weight, neighbours=10).fit(d.train)
    got = m._score(d.queries)
    want = _reference_interleave(m, d.queries)
    np.testing.assert_array_equal(got, want)
    assert np.isfinite(got).sum(axis=1).min() > 10        # the tail filled every row
