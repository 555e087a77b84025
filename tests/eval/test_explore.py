"""Repeat / explore split, repeat_share, hit_value / hit_margin and fill_rate against brute force."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from cs_lab.errors import ConfigError, DataError
from cs_lab.eval import evaluate, split_repeat_explore, truth_from_lists
from tests.eval.conftest import random_case

N_ITEMS = 8
# q0, q3: customer A; q1: customer B; q2: anonymous (empty history); q4: no truth
HISTORY = [{1, 2, 3}, {0, 7}, set(), {1, 2, 3}, {5}]
TRUTH = [{1, 4, 5}, {0, 7}, {2, 6}, {3}, set()]
RECS = np.array([[1, 4, 6, 2, -1],
                 [3, 0, 5, 7, 2],
                 [6, 2, 1, -1, -1],
                 [-1, -1, -1, -1, -1],
                 [5, 1, -1, -1, -1]])
# line value = 10 * item + query (distinct for every line), margin = item + 0.5
VALUE = {(q, i): 10.0 * i + q for q, t in enumerate(TRUTH) for i in t}
MARGIN = {(q, i): i + 0.5 for q, t in enumerate(TRUTH) for i in t}


def csr(sets: list[set[int]], values: dict | None = None) -> sp.csr_array:
    rows, cols, data = [], [], []
    for q, items in enumerate(sets):
        for i in sorted(items):
            rows.append(q)
            cols.append(i)
            data.append(1.0 if values is None else values[(q, i)])
    return sp.csr_array((data, (rows, cols)), shape=(len(sets), N_ITEMS))


def brute(recs: np.ndarray, truth: list[set[int]], history: list[set[int]], k: int,
          value: dict = VALUE) -> dict[str, list]:
    """Per query: hit counts and hit values over the whole truth and each part, and repeat share."""
    out: dict[str, list] = {name: [] for name in ("hits", "hits.repeat", "hits.explore", "value",
                                                  "value.repeat", "value.explore", "repeat_share")}
    for q, (row, t, h) in enumerate(zip(recs, truth, history)):
        top = [int(i) for i in row[:k] if i >= 0]
        for suffix, part in (("", t), (".repeat", t & h), (".explore", t - h)):
            out["hits" + suffix].append(sum(i in part for i in top) if part else None)
            out["value" + suffix].append(sum(value[(q, i)] for i in top if i in part) if part else None)
        out["repeat_share"].append(sum(i in h for i in top) / len(top) if top else None)
    return out


def column(res, name: str) -> list:
    return [None if np.isnan(v) else v for v in res.per_query[name].to_numpy()]


def test_split_equals_set_arithmetic():
    repeat, explore = split_repeat_explore(csr(TRUTH), csr(HISTORY))
    as_sets = [lambda m, q=q: set(m.indices[m.indptr[q]:m.indptr[q + 1]].tolist()) for q in range(5)]
    assert [f(repeat) for f in as_sets] == [{1}, {0, 7}, set(), {3}, set()]
    assert [f(explore) for f in as_sets] == [{4, 5}, set(), {2, 6}, set(), set()]


def test_hand_made_example_hits_values_and_repeat_share_equal_brute_force():
    res = evaluate(RECS, csr(TRUTH), metrics=["precision", "recall", "hit_value", "hit_margin",
                                              "repeat_share", "fill_rate"],
                   ks=(1, 2, 4), history=csr(HISTORY), truth_value=csr(TRUTH, VALUE),
                   truth_margin=csr(TRUTH, MARGIN))
    for k in (1, 2, 4):
        want = brute(RECS, TRUTH, HISTORY, k)
        for suffix in ("", ".repeat", ".explore"):
            hits = [None if v is None else v * k for v in column(res, f"precision@{k}{suffix}")]
            assert hits == pytest.approx(want["hits" + suffix]), (k, suffix)
            assert column(res, f"hit_value@{k}{suffix}") == pytest.approx(want["value" + suffix]), (k, suffix)
        assert column(res, f"repeat_share@{k}") == pytest.approx(want["repeat_share"]), k
    # spelled out at k=4: q0 hits 1 (repeat) and 4 (explore); q1 hits 0, 7 (repeat); q2 hits 6, 2 (explore)
    assert column(res, "hit_value@4.repeat") == [10.0, 1.0 + 71.0, None, 0.0, None]
    assert column(res, "hit_value@4.explore") == [40.0, None, 62.0 + 22.0, None, None]
    assert column(res, "recall@4.explore") == [0.5, None, 1.0, None, None]
    assert column(res, "hit_margin@4") == [1.5 + 4.5, 0.5 + 7.5, 6.5 + 2.5, 0.0, None]
    assert column(res, "repeat_share@4") == [0.5, 0.5, 0.0, None, 0.5]
    assert column(res, "fill_rate@4") == [1.0, 1.0, 0.75, 0.0, 0.5]
    assert res.value("hit_value@4.explore") == pytest.approx((40 + 84) / 2)
    assert res.value("repeat_share@4") == pytest.approx(1.5 / 4)


def test_random_cases_match_brute_force():
    rng = np.random.default_rng(3)
    for seed in range(4):
        recs, truth_lists = random_case(seed, n_queries=80, n_items=N_ITEMS * 5, width=8, max_truth=6,
                                        empty_share=0.1)
        truth = [set(t.tolist()) for t in truth_lists]
        history = [set(rng.choice(N_ITEMS * 5, size=int(rng.integers(0, 12)), replace=False).tolist())
                   for _ in truth]
        value = {(q, i): float(rng.integers(1, 100)) for q, t in enumerate(truth) for i in t}
        n = N_ITEMS * 5
        t_mat = truth_from_lists(truth_lists, n)
        h_mat = sp.csr_array(truth_from_lists([sorted(h) for h in history], n))
        v_mat = t_mat.copy()
        rows = np.repeat(np.arange(len(truth)), np.diff(t_mat.indptr))
        v_mat.data = np.array([value[(int(q), int(i))] for q, i in zip(rows, t_mat.indices)])
        res = evaluate(recs, t_mat, metrics=["precision", "hit_value", "repeat_share"], ks=(3, 8),
                       history=h_mat, truth_value=v_mat)
        for k in (3, 8):
            want = brute(recs, truth, history, k, value)
            for suffix in ("", ".repeat", ".explore"):
                hits = [None if v is None else round(v * k) for v in column(res, f"precision@{k}{suffix}")]
                assert hits == want["hits" + suffix]
                assert column(res, f"hit_value@{k}{suffix}") == pytest.approx(want["value" + suffix])
            assert column(res, f"repeat_share@{k}") == pytest.approx(want["repeat_share"])


def test_parts_follow_exclude_even_under_zero_policy_and_summary_names():
    res = evaluate(RECS, csr(TRUTH), metrics=["ndcg", "repeat_share"], ks=(2,), history=csr(HISTORY),
                   empty_truth="zero")
    assert res.per_query["ndcg@2"].iloc[4] == 0.0                  # no truth, zero policy
    assert np.isnan(res.per_query["ndcg@2.repeat"].iloc[4])        # empty part: always left out
    assert list(res.per_query.columns) == ["ndcg@2", "ndcg@2.repeat", "ndcg@2.explore", "repeat_share@2"]
    assert res.metric_names() == ["ndcg@2", "ndcg@2.repeat", "ndcg@2.explore", "repeat_share@2"]
    assert res.value("ndcg@2.explore") == pytest.approx(res.per_query["ndcg@2.explore"].mean())
    assert res.value("ndcg@2") == res.summary["ndcg"][2]
    assert res.summary["ndcg.repeat"][2] == res.value("ndcg@2.repeat")
    with pytest.raises(ConfigError, match="available: ndcg@2, ndcg@2.repeat"):
        res.value("ndcg@10.explore")


def test_defaults_follow_the_given_inputs():
    plain = evaluate(RECS, csr(TRUTH), ks=(2,))
    assert not any("." in c or c.startswith(("hit_value", "repeat_share")) for c in plain.per_query)
    full = evaluate(RECS, csr(TRUTH), ks=(2,), history=csr(HISTORY), truth_value=csr(TRUTH, VALUE))
    assert {"hit_value@2.explore", "repeat_share@2", "ndcg@2.repeat", "mrr@2.explore"} <= set(full.per_query)
    assert "hit_margin" not in full.metrics
    pd_equal = full.per_query[plain.per_query.columns]
    assert pd_equal.equals(plain.per_query)                       # old columns unchanged


def test_input_errors():
    with pytest.raises(ConfigError, match=r"needs evaluate\(truth_value=...\)"):
        evaluate(RECS, csr(TRUTH), metrics=["hit_value"])
    with pytest.raises(ConfigError, match=r"needs evaluate\(history=...\)"):
        evaluate(RECS, csr(TRUTH), metrics=["repeat_share"])
    with pytest.raises(DataError, match="history has shape"):
        evaluate(RECS, csr(TRUTH), history=csr(HISTORY)[:4])
    partial = dict(VALUE)
    partial.pop((2, 6))
    with pytest.raises(DataError, match="query row 2, item 6"):
        evaluate(RECS, csr(TRUTH), truth_value=csr([t - {6} if q == 2 else t for q, t in enumerate(TRUTH)],
                                                   partial))
    nan_value = dict(VALUE)
    nan_value[(0, 4)] = np.nan
    with pytest.raises(DataError, match="NaN"):
        evaluate(RECS, csr(TRUTH), truth_margin=csr(TRUTH, nan_value))


def test_parts_equal_ranx_on_the_split_truth():
    """Each part's accuracy equals ranx run with that part (built with Python sets) as the qrels."""
    ranx = pytest.importorskip("ranx")
    from cs_lab.eval import ACCURACY_METRICS

    n = 60
    rng = np.random.default_rng(7)
    recs, truth_lists = random_case(11, n_queries=150, n_items=n, max_truth=10, empty_share=0.1)
    history = [set(rng.choice(n, size=int(rng.integers(0, 20)), replace=False).tolist()) if q % 7 else set()
               for q in range(len(recs))]
    res = evaluate(recs, truth_from_lists(truth_lists, n), metrics=list(ACCURACY_METRICS), ks=(3, 10),
                   history=truth_from_lists([sorted(h) for h in history], n))
    qrels, run = {}, {}
    for q, (row, t, h) in enumerate(zip(recs, truth_lists, history)):
        items = row[row >= 0]
        for part, keep in (("repeat", set(t.tolist()) & h), ("explore", set(t.tolist()) - h)):
            if keep:  # empty parts are NaN on our side and absent from ranx's qrels
                qrels[f"{part}_{q}"] = {f"d{i}": 1 for i in keep}
                if items.size:
                    run[f"{part}_{q}"] = {f"d{i}": float(len(items) - j) for j, i in enumerate(items)}
    names = [f"{m}@{k}" for m in ACCURACY_METRICS for k in (3, 10)]
    qrels_obj, run_obj = ranx.Qrels(qrels), ranx.Run(run)
    ranx.evaluate(qrels_obj, run_obj, names, return_mean=False, make_comparable=True)
    for part in ("repeat", "explore"):
        qs = [q for q in range(len(recs)) if f"{part}_{q}" in qrels]
        assert 20 < len(qs) < len(recs)
        for name in names:
            ours = res.per_query[f"{name}.{part}"].to_numpy()
            want = np.array([run_obj.scores[name][f"{part}_{q}"] for q in qs])
            np.testing.assert_allclose(ours[qs], want, atol=1e-9, err_msg=f"{name}.{part}")
            assert np.isnan(np.delete(ours, qs)).all()


def test_history_for_queries_picks_customer_rows():
    from cs_lab.eval import history_for_queries

    customers = ["A", "B", 7]
    bought = csr([{1, 2, 3}, {0, 7}, {5}])
    hist = history_for_queries(["A", "B", None, "A", 7, np.nan, "new"], customers, bought)
    rows = [set(hist.indices[hist.indptr[q]:hist.indptr[q + 1]].tolist()) for q in range(7)]
    assert rows == [{1, 2, 3}, {0, 7}, set(), {1, 2, 3}, {5}, set(), set()]
    assert hist.shape == (7, N_ITEMS)
    with pytest.raises(DataError, match="repeat"):
        history_for_queries(["A"], ["A", "A", "B"], bought)
    with pytest.raises(DataError, match="2 customer ids for 3 rows"):
        history_for_queries(["A"], ["A", "B"], bought)
