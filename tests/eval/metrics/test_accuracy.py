"""Every accuracy metric equals ranx's per-query value to 1e-9.

All cases (several seeds, padding, lists shorter than K, empty lists, truth
larger than K, tied scores, empty truth) go into ONE ranx call: ranx JIT-compiles
with numba and each call is costly the first time.
"""

from __future__ import annotations

import numpy as np
import pytest

from cs_lab.eval import ACCURACY_METRICS, evaluate, truth_from_lists
from tests.eval.conftest import random_case

ranx = pytest.importorskip("ranx")

KS = (1, 3, 5, 10, 12, 15)  # 15 > list width 12: the prefix beyond the list is padding
N_ITEMS = 60
SEEDS = (0, 1, 2, 3)


def _tie_case(seed: int) -> tuple[dict, list[np.ndarray]]:
    """Scores with many ties (3 distinct values): ranx orders tied items itself."""
    rng = np.random.default_rng(seed)
    recs, truth = random_case(seed, n_queries=150, n_items=N_ITEMS)
    scores = {}
    for q in range(len(recs)):
        items = recs[q][recs[q] >= 0]
        scores[q] = {int(i): float(rng.integers(0, 3)) for i in items}
    return scores, truth


@pytest.fixture(scope="module")
def cases():
    """name -> (recs, truth lists, ranx per-query scores by metric)."""
    built: dict[str, tuple] = {}
    for seed in SEEDS:
        recs, truth = random_case(seed, n_items=N_ITEMS, empty_share=0.1 if seed == 3 else 0.0)
        built[f"s{seed}"] = (recs, truth)
    tie_scores, tie_truth = _tie_case(99)

    qrels, run = {}, {}
    for name, (recs, truth) in built.items():
        for q in range(len(recs)):
            qid = f"{name}_{q}"
            qrels[qid] = {f"d{i}": 1 for i in truth[q]}
            items = recs[q][recs[q] >= 0]
            if items.size:  # queries without recs are added empty by make_comparable
                run[qid] = {f"d{i}": float(len(items) - j) for j, i in enumerate(items)}
    for q, docs in tie_scores.items():
        qrels[f"ties_{q}"] = {f"d{i}": 1 for i in tie_truth[q]}
        if docs:
            run[f"ties_{q}"] = {f"d{i}": s for i, s in docs.items()}

    qrels_obj, run_obj = ranx.Qrels(qrels), ranx.Run(run)
    names = [f"{m}@{k}" for m in ACCURACY_METRICS for k in KS]
    ranx.evaluate(qrels_obj, run_obj, names, return_mean=False, make_comparable=True)

    # the tied case is ranked in the order ranx chose for the ties
    ordered = run_obj.to_dict()
    tie_recs = np.full((len(tie_scores), 12), -1, dtype=np.int64)
    for q in tie_scores:
        docs = [int(d[1:]) for d in ordered.get(f"ties_{q}", {})]
        tie_recs[q, : len(docs)] = docs
    built["ties"] = (tie_recs, tie_truth)

    out = {}
    for name, (recs, truth) in built.items():
        ids = [f"{name}_{q}" for q in range(len(recs))]
        expected = {m: np.array([run_obj.scores[m][i] for i in ids]) for m in names}
        out[name] = (recs, truth, expected)
    return out


@pytest.mark.parametrize("name", [f"s{s}" for s in SEEDS] + ["ties"])
def test_per_query_values_match_ranx(cases, name):
    recs, truth, expected = cases[name]
    t = truth_from_lists(truth, N_ITEMS)
    result = evaluate(recs, t, metrics=list(ACCURACY_METRICS), ks=KS, empty_truth="zero")
    assert result.n_queries == len(recs)
    for column, values in expected.items():
        np.testing.assert_allclose(result.per_query[column].to_numpy(), values, rtol=0, atol=1e-9,
                                   err_msg=column)
        assert result.summary[column.split("@")[0]][int(column.split("@")[1])] == pytest.approx(
            values.mean(), abs=1e-9)


def test_inputs_cover_the_edge_cases(cases):
    recs, truth, _ = cases["s3"]
    lengths = (recs >= 0).sum(axis=1)
    sizes = np.array([len(t) for t in truth])
    assert (lengths == 0).any() and (lengths < 12).any() and (lengths == 12).any()
    assert (sizes > 15).any() and (sizes == 0).any()
    hits = evaluate(recs, truth_from_lists(truth, N_ITEMS), metrics=["hit_rate"], ks=(1,)).summary
    assert 0.1 < hits["hit_rate"][1] < 0.9


def test_excluding_empty_truth_equals_ranx_on_nonempty_queries(cases):
    recs, truth, expected = cases["s3"]
    nonempty = np.array([len(t) > 0 for t in truth])
    result = evaluate(recs, truth_from_lists(truth, N_ITEMS), metrics=list(ACCURACY_METRICS), ks=KS)
    assert result.n_empty_truth == int((~nonempty).sum()) > 0
    for column, values in expected.items():
        ours = result.per_query[column].to_numpy()
        assert np.isnan(ours[~nonempty]).all()
        np.testing.assert_allclose(ours[nonempty], values[nonempty], atol=1e-9)
        metric, k = column.split("@")
        assert result.summary[metric][int(k)] == pytest.approx(values[nonempty].mean(), abs=1e-9)
