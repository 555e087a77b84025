import time

import numpy as np
import pandas as pd

from cs_lab.simulate import SimulationConfig, simulate
from cs_lab.simulate.hashing import assign_arms


def test_same_id_same_arm_across_runs_and_orders():
    ids = np.array([f"B{i:06d}" for i in range(20_000)], dtype=object)
    a = assign_arms(ids, [1, 1, 1], seed=3)
    assert np.array_equal(a, assign_arms(ids, [1, 1, 1], seed=3))
    perm = np.random.default_rng(0).permutation(len(ids))
    assert np.array_equal(assign_arms(ids[perm], [1, 1, 1], seed=3), a[perm])
    # a subset keeps its arms (no dependence on the other sessions)
    assert np.array_equal(assign_arms(ids[:100], [1, 1, 1], seed=3), a[:100])
    # another seed reshuffles
    assert (assign_arms(ids, [1, 1, 1], seed=4) != a).mean() > 0.5


def test_pinned_values():
    """Pins the hash: a change here silently moves every session to another arm."""
    ids = ["a", "b", "c", "d", "e", "f", "g", "h"]
    assert assign_arms(ids, [1, 1, 1], 0).tolist() == [1, 1, 1, 0, 1, 2, 1, 2]
    assert assign_arms(ids, [1, 1, 1], 1).tolist() == [0, 1, 1, 2, 0, 1, 2, 2]


def test_ids_are_hashed_as_strings():
    assert np.array_equal(assign_arms(np.arange(50), [1, 1], 0), assign_arms([str(i) for i in range(50)], [1, 1], 0))


def test_weights_split_traffic():
    ids = np.arange(200_000)
    a = assign_arms(ids, [1, 3], seed=0)
    share = np.bincount(a) / len(a)
    np.testing.assert_allclose(share, [0.25, 0.75], atol=0.005)
    # uniform split: each arm's count is within 4 binomial sd of n/3
    c = np.bincount(assign_arms(ids, [1, 1, 1], seed=9))
    assert np.all(np.abs(c - len(ids) / 3) < 4 * np.sqrt(len(ids) * (1 / 3) * (2 / 3)))


def test_hashing_a_million_ids_is_fast():
    ids = np.array([f"Q{i}" for i in range(1_000_000)], dtype=object)
    t = time.perf_counter()
    assign_arms(ids, [1, 1], seed=0)
    assert time.perf_counter() - t < 5.0  # ~0.3 s on an idle 2-core machine; generous for CI load


def test_simulation_does_not_depend_on_row_order(syn):
    cfg = SimulationConfig(n_bootstrap=0, ci_method="analytic")
    from tests.simulate.conftest import oracle_recs

    recs = oracle_recs(syn)
    a = simulate(syn.sessions, syn.truth, {"control": None, "oracle": recs}, cfg)
    perm = np.random.default_rng(1).permutation(len(syn.sessions))
    tperm = np.random.default_rng(2).permutation(len(syn.truth))
    b = simulate(syn.sessions.iloc[perm], syn.truth.iloc[tperm], {"control": None, "oracle": recs[perm]}, cfg)
    pa = a.per_session.set_index("query_id").sort_index()
    pb = b.per_session.set_index("query_id").sort_index()
    pd.testing.assert_frame_equal(pa, pb)
    pd.testing.assert_frame_equal(a.arms, b.arms)
