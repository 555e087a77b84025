"""The next-basket task end to end on real Ta Feng (a basket = one customer-day): the runner with
popularity and personal on a small sample of customers, cross-checked against the raw lines."""

from __future__ import annotations

import numpy as np
import pytest
import yaml

from cs_lab.data import schema as S

pytestmark = pytest.mark.integration


def test_ta_feng_next_basket_end_to_end(real_dataset, tmp_path, tmp_cache, monkeypatch):
    from cs_lab.experiment.runner import ExperimentRunner, RunOptions
    from cs_lab.experiment.spec import load_spec
    from cs_lab.tracking import MemoryTracker

    ds = real_dataset("ta_feng")
    path = tmp_path / "nb.yaml"
    path.write_text(yaml.safe_dump({
        "name": "ta_feng_nb_it", "dataset": "ta_feng", "split": {"windows": 1},
        "task": {"kind": "next_basket", "min_baskets": 3, "max_queries": 400, "max_validation_queries": 200},
        "metrics": {"ks": [10], "objective": "ndcg@10"}, "tuning": {"trials": 0},
        "comparison": {"baselines": ["popularity"], "bootstrap": 200, "metrics": ["ndcg@10"]},
        "models": [{"name": "popularity", "config": {"model": "popularity"}},
                   {"name": "personal", "config": {"model": "personal_fallback"}}]}))
    spec = load_spec(path)
    from cs_lab.experiment.stages import prepare as prep

    real = prep.prepare_windows
    monkeypatch.setattr(prep, "prepare_windows", lambda s: real(s, ds))      # the session's loaded dataset
    res = ExperimentRunner(spec, MemoryTracker(), RunOptions(run_dir=tmp_path / "runs", progress=False,
                                                             log_models=False)).run()
    task = res.windows.latest
    ev = task.final.eval
    # eligible customers = customers with >= 3 distinct days, counted straight from the lines
    days = ds.lines.dropna(subset=[S.CUSTOMER]).groupby(S.CUSTOMER, observed=True)[S.BASKET].nunique()
    assert task.counts["test_carts_eligible"] == int((days >= 3).sum())
    assert len(ev) == 400 and ev.queries.carts.nnz == 0
    # each query's truth is every distinct item of the customer's last day
    q = ev.holdout.queries.iloc[:25]
    t = ev.truth.tocsr()
    for i, r in q.iterrows():
        cl = ds.lines[ds.lines[S.CUSTOMER] == r[S.CUSTOMER]]
        last = cl[cl[S.TIMESTAMP] == cl[S.TIMESTAMP].max()]
        assert set(ev.eval_items[t.indices[t.indptr[i]:t.indptr[i + 1]]]) == set(last[S.ITEM].astype(str))
    board = res.leaderboard.set_index("model")
    # personal lists the customer's own items: far more repeats than the global list
    assert board.loc["personal", "repeat_share@10"] > 2 * board.loc["popularity", "repeat_share@10"]
    assert board.loc["personal", "ndcg@10.repeat"] > board.loc["popularity", "ndcg@10.repeat"]
    assert np.isfinite(board["ndcg@10"]).all()
