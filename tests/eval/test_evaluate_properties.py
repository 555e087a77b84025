"""Property-based checks of ``evaluate`` on random inputs: recommendation arrays (int64, -1 padding,
no item twice in a row) and CSR truth/history. Values lie in [0, 1], hit_rate@k and recall@k never
fall as k grows, the repeat and explore parts partition the hits, and malformed inputs raise
DataError/ConfigError, never a bare numpy IndexError/ValueError. Deterministic (``derandomize``)."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cs_lab.errors import ConfigError, DataError
from cs_lab.eval import evaluate, hit_matrix, split_repeat_explore

SETTINGS = settings(max_examples=100, deadline=5000, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
BOUNDED = ["ndcg", "hit_rate", "recall", "precision", "mrr"]
KS = (1, 2, 3, 5, 8)


@st.composite
def cases(draw):
    n_items = draw(st.integers(1, 12))
    n = draw(st.integers(0, 8))
    width = draw(st.integers(0, 8))
    rows = []
    for _ in range(n):
        m = draw(st.integers(0, min(width, n_items)))
        items = draw(st.permutations(range(n_items)))[:m]
        rows.append(list(items) + [-1] * (width - m))
    recs = np.array(rows, dtype=np.int64).reshape(n, width)
    mask = lambda: np.array(draw(st.lists(st.booleans(), min_size=n * n_items, max_size=n * n_items)),  # noqa: E731
                            dtype=bool).reshape(n, n_items)
    truth = sp.csr_array(mask().astype(np.float64))
    history = sp.csr_array(mask().astype(np.float64))
    return recs, truth, history, n_items


@SETTINGS
@given(cases(), st.sampled_from(["exclude", "zero"]))
def test_values_bounded_and_monotone(case, empty_truth):
    recs, truth, _, n_items = case
    res = evaluate(recs, truth, metrics=BOUNDED, ks=KS, n_items=n_items, empty_truth=empty_truth)
    for name in BOUNDED:
        for k in KS:
            col = res.per_query[f"{name}@{k}"].to_numpy()
            col = col[~np.isnan(col)]
            assert ((col >= 0) & (col <= 1 + 1e-12)).all(), (name, k)
    for name in ("hit_rate", "recall"):
        cols = np.stack([res.per_query[f"{name}@{k}"].to_numpy() for k in KS])
        ok = ~np.isnan(cols).any(axis=0)
        assert (np.diff(cols[:, ok], axis=0) >= -1e-12).all(), name


@SETTINGS
@given(cases())
def test_repeat_and_explore_partition_the_hits(case):
    recs, truth, history, n_items = case
    repeat, explore = split_repeat_explore(truth, history)
    hits = hit_matrix(recs, truth)
    hr, he = hit_matrix(recs, repeat), hit_matrix(recs, explore)
    assert not (hr & he).any()
    np.testing.assert_array_equal(hr | he, hits)
    assert hits.sum() == hr.sum() + he.sum()
    res = evaluate(recs, truth, metrics=["hit_rate", "recall"], ks=KS, n_items=n_items, history=history)
    pq = res.per_query
    n_truth = np.asarray(truth.sum(axis=1)).ravel()
    n_rep, n_exp = np.asarray(repeat.sum(axis=1)).ravel(), np.asarray(explore.sum(axis=1)).ravel()
    for k in KS:
        # hit counts: recall x |part| is the part's hit count, and the parts' counts add up
        whole = np.nan_to_num(pq[f"recall@{k}"].to_numpy()) * n_truth
        parts = (np.nan_to_num(pq[f"recall@{k}.repeat"].to_numpy()) * n_rep
                 + np.nan_to_num(pq[f"recall@{k}.explore"].to_numpy()) * n_exp)
        np.testing.assert_allclose(whole, parts, atol=1e-9)
        np.testing.assert_allclose(whole, hits[:, :k].sum(axis=1), atol=1e-9)
        hit = np.nan_to_num(pq[f"hit_rate@{k}"].to_numpy())
        either = np.fmax(np.nan_to_num(pq[f"hit_rate@{k}.repeat"].to_numpy()),
                         np.nan_to_num(pq[f"hit_rate@{k}.explore"].to_numpy()))
        np.testing.assert_array_equal(hit, either)


def _raises_clean(fn) -> None:
    try:
        fn()
    except (DataError, ConfigError):
        return
    raise AssertionError("malformed input accepted")


@SETTINGS
@given(cases(), st.data())
def test_malformed_inputs_raise_data_or_config_error(case, data):
    recs, truth, history, n_items = case
    kind = data.draw(st.sampled_from(["duplicate", "id_high", "id_low", "recs_1d", "recs_3d", "recs_float",
                                      "truth_rows", "truth_cols", "history_shape", "ks", "n_items"]))
    ks, n_items_arg, hist = KS, n_items, None
    if kind == "duplicate":
        if recs.shape[1] < 2 or not len(recs):
            recs = np.array([[0, 0]], dtype=np.int64)
            truth = sp.csr_array((1, n_items))
        else:
            i = data.draw(st.integers(0, len(recs) - 1))
            recs = recs.copy()
            recs[i, 1] = recs[i, 0] = max(recs[i, 0], 0)
    elif kind in ("id_high", "id_low"):
        recs = np.full((truth.shape[0] or 1, 3), -1, dtype=np.int64)
        truth = truth if truth.shape[0] else sp.csr_array((1, n_items))
        recs[0, 0] = n_items + data.draw(st.integers(0, 10**6)) if kind == "id_high" else -data.draw(
            st.integers(2, 10**6))
    elif kind == "recs_1d":
        recs = recs.ravel()
    elif kind == "recs_3d":
        recs = recs[..., None]
    elif kind == "recs_float":
        recs = recs.astype(np.float64) + 0.5
    elif kind == "truth_rows":
        truth = sp.csr_array((truth.shape[0] + data.draw(st.integers(1, 3)), n_items))
    elif kind == "truth_cols":
        n_items_arg = None
        truth = sp.csr_array((truth.shape[0], n_items + data.draw(st.integers(1, 3))))
        recs = np.where(recs >= 0, recs, -1)
        if recs.size:
            recs = recs.copy()
            recs.flat[0] = n_items + 10
    elif kind == "history_shape":
        hist = sp.csr_array((history.shape[0] + 1, n_items + data.draw(st.integers(0, 2))))
    elif kind == "ks":
        ks = data.draw(st.sampled_from([0, -1, [], [3, 0], [1.5], ["a"]]))
    else:
        n_items_arg = data.draw(st.sampled_from([-1, 0]))
        if recs.size == 0 or (recs < 0).all():
            recs = np.array([[0]], dtype=np.int64)
            truth = sp.csr_array((1, max(n_items, 1)))
    _raises_clean(lambda: evaluate(recs, truth, metrics=BOUNDED, ks=ks, n_items=n_items_arg, history=hist))
