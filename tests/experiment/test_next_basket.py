"""The next-basket task's windows and eval sets, cross-checked against an independent reading of the
raw lines (sort each customer's baskets by time and take the last), and its spec validation."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from cs_lab.data import schema as S
from cs_lab.data.synthetic import generate
from cs_lab.errors import ConfigError, LeakageError
from cs_lab.experiment.spec import ExperimentSpec, load_spec
from cs_lab.experiment.task import prepare_windows

MIN = 3


def spec(**kw):
    base = {"name": "t", "dataset": "synthetic", "models": [{"name": "pop", "config": {"model": "popularity"}}],
            "split": {"windows": 1},
            "task": {"kind": "next_basket", "min_baskets": MIN, "max_queries": None, "max_validation_queries": None}}
    base.update(kw)
    return ExperimentSpec.model_validate(base)


@pytest.fixture(scope="module")
def ds():
    """Generated shop plus customers right at the min_baskets edge (2, 3 and 4 baskets)."""
    d = generate(n_customers=90, n_items=50, n_baskets=1100, seed=11).dataset
    lines = d.lines
    t0 = lines[S.TIMESTAMP].min()
    proto = lines.iloc[[0]]
    extra = [proto.assign(**{S.CUSTOMER: f"edge{n}", S.BASKET: f"edge{n}_{j}", S.ITEM: item,
                             S.TIMESTAMP: t0 + pd.Timedelta(days=10 * j + n)})
             for n in (2, 3, 4) for j in range(n) for item in (lines[S.ITEM].iloc[j], lines[S.ITEM].iloc[5 + n])]
    lines = pd.concat([lines, *extra], ignore_index=True).astype({S.CUSTOMER: S.STRING, S.BASKET: S.STRING})
    return replace(d, lines=lines)


def ordered(lines: pd.DataFrame) -> dict[str, list[tuple[str, set]]]:
    """Independent reading: customer -> [(basket, items)] in time order (identified customers only)."""
    known = lines[lines[S.CUSTOMER].notna()]
    first = known.groupby(S.BASKET, observed=True).agg(c=(S.CUSTOMER, "first"), t=(S.TIMESTAMP, "min"))
    items = {b: set(map(str, g)) for b, g in known.groupby(S.BASKET, observed=True)[S.ITEM]}
    out: dict[str, list] = {}
    for b, r in first.sort_values(["t"]).iterrows():
        out.setdefault(str(r["c"]), []).append((str(b), items[b]))
    return out


def truth_sets(ev) -> dict[str, set]:
    t = ev.truth.tocsr()
    return {str(q): {str(ev.eval_items[j]) for j in t.indices[t.indptr[i]:t.indptr[i + 1]]}
            for i, q in enumerate(ev.query_ids)}


def matrix_sets(ev, m) -> dict[str, set]:
    m = m.tocsr()
    return {str(q): {str(ev.eval_items[j]) for j in m.indices[m.indptr[i]:m.indptr[i + 1]]}
            for i, q in enumerate(ev.query_ids)}


def test_test_and_validation_targets_history_and_labels(ds):
    (task,) = prepare_windows(spec(), ds)
    seq = ordered(ds.lines)
    for stage, back in ((task.final, 1), (task.tuning, 2)):        # test: last basket; validation: the one before
        ev = stage.eval
        cust = ev.holdout.queries.set_index("query_id")[S.CUSTOMER].astype(str)
        need = MIN + back - 1
        assert set(cust) == {c for c, bs in seq.items() if len(bs) >= need}   # min_baskets respected
        assert {"edge2", "edge3", "edge4"} & set(cust) == ({"edge3", "edge4"} if back == 1 else {"edge4"})
        assert ev.queries.carts.nnz == 0 and (ev.queries.customers >= 0).all()  # empty carts, known customers
        truth, hist = truth_sets(ev), matrix_sets(ev, ev.history)
        for q, c in cust.items():
            target_basket, target_items = seq[c][-back]
            assert q == target_basket and truth[q] == target_items
            earlier = set().union(*(i for _, i in seq[c][:-back]))
            assert hist[q] == earlier                                    # history = earlier baskets only
            # repeat / explore labels: repeat = truth items bought before
            assert truth[q] & hist[q] == target_items & earlier
        # training: no basket of a query customer at or after their target; no anonymous basket
        tr = stage.train
        t_target = ev.holdout.queries.set_index(S.CUSTOMER)[S.TIMESTAMP]
        cidx = tr.basket_customer
        assert (cidx >= 0).all()
        names = tr.customers.ids[cidx]
        is_q = pd.Index(t_target.index.astype(str)).get_indexer(names) >= 0
        assert is_q.any()
        assert (tr.basket_time[is_q] < t_target.reindex(names[is_q]).to_numpy().astype("datetime64[ns]")).all()


def test_every_customer_target_is_excluded_from_training_baskets(ds):
    (task,) = prepare_windows(spec(), ds)
    test_b = set(task.split.test[S.BASKET])
    assert not test_b & set(task.split.train[S.BASKET])
    assert not (set(task.inner.test[S.BASKET]) | test_b) & set(task.inner.train[S.BASKET])
    assert task.kind == "next_basket" and task.tags()["task_kind"] == "next_basket"


def test_explore_variant_keeps_only_new_items(ds):
    (task,) = prepare_windows(spec(task={"kind": "next_basket", "exclude": ["cart", "history"],
                                         "max_queries": None}), ds)
    ev = task.final.eval
    seq = ordered(ds.lines)
    truth = truth_sets(ev)
    cust = ev.holdout.queries.set_index("query_id")[S.CUSTOMER].astype(str)
    new_somewhere = {c for c, bs in seq.items() if len(bs) >= MIN and bs[-1][1] - set().union(*(i for _, i in bs[:-1]))}
    assert set(cust) == new_somewhere
    for q, c in cust.items():
        earlier = set().union(*(i for _, i in seq[c][:-1]))
        assert truth[q] == seq[c][-1][1] - earlier
    assert ev.exclude is not None and matrix_sets(ev, ev.exclude) == matrix_sets(ev, ev.history)


def test_rolling_windows_step_back_one_basket(ds):
    tasks = prepare_windows(spec(split={"windows": 3}), ds)
    seq = ordered(ds.lines)
    for i, t in enumerate(tasks):
        back = 3 - i                          # window 0 of 3: each customer's third basket from the end
        cust = t.final.eval.holdout.queries.set_index("query_id")[S.CUSTOMER].astype(str)
        assert set(cust) == {c for c, bs in seq.items() if len(bs) >= MIN + back - 1}
        assert all(q == seq[c][-back][0] for q, c in cust.items())
        # training holds no customer's last back-1 baskets (dropped), nor the query customers' targets
        later = {b for bs in seq.values() for b, _ in bs[max(0, len(bs) - back + 1):]}
        assert not set(t.final.train.lines[S.BASKET]) & (later | set(cust.index))
        assert set(t.final.train.lines[S.BASKET]) == {b for bs in seq.values() for b, _ in bs} - later - set(cust.index)
    assert [t.label for t in tasks][-1].endswith("last basket)")


def test_runner_end_to_end(tmp_path, tmp_cache):
    from cs_lab.experiment.runner import ExperimentRunner, RunOptions
    from cs_lab.testing.experiment import tiny_spec
    from cs_lab.tracking import MemoryTracker

    pack = str(Path(__file__).parents[1] / "models" / "business" / "synthetic_pack.yaml")
    models = [{"name": "personal", "config": {"model": "personal_fallback"}},
              {"name": "rules", "config": {"model": "rules", "min_support": 0.01, "max_len": 2}},
              {"name": "business_rules", "config": {"model": "business_rules", "pack": pack}},
              {"name": "guarded", "config": {"model": "guarded", "max_offers": 3, "cart_share": None, "inner": {
                  "model": "fallback", "models": [{"model": "business_rules", "pack": pack},
                                                  {"model": "personal_fallback"}]}}}]
    path = tiny_spec(tmp_path, trials=1, extra_models=models, simulation=None,
                     task={"kind": "next_basket", "max_queries": 200, "max_validation_queries": 100})
    s = load_spec(path)
    res = ExperimentRunner(s, MemoryTracker(), RunOptions(run_dir=tmp_path / "runs", progress=False,
                                                          log_models=False)).run()
    board = res.leaderboard.set_index("model")
    assert set(board.index) == {"popularity", "item_knn", "als", "personal", "rules", "business_rules", "guarded"}
    # an empty cart: item-to-item models fall back to popularity exactly; personal lists mostly repeats
    assert board.loc["item_knn", "ndcg@10"] == board.loc["popularity", "ndcg@10"]
    assert board.loc["personal", "repeat_share@10"] > board.loc["popularity", "repeat_share@10"]
    assert board.loc["personal", "ndcg@10.repeat"] > 0 and np.isfinite(board.loc["popularity", "ndcg@10.explore"])


def _write(tmp_path: Path, **over) -> Path:
    raw = {"name": "t", "dataset": "synthetic", "task": {"kind": "next_basket"},
           "models": [{"name": "pop", "config": {"model": "popularity"}}], **over}
    p = tmp_path / "s.yaml"
    p.write_text(yaml.safe_dump(raw))
    return p


@pytest.mark.parametrize("over, match", [
    ({"task": {"kind": "next_baskets"}}, r"task\.kind: Input should be 'basket_completion' or 'next_basket'"),
    ({"task": {"kind": "next_basket", "min_baskets": 1}}, r"task\.min_baskets"),
    ({"split": {"kind": "random_baskets"}}, r"task\.kind next_basket .*split\.kind must be 'temporal'"),
    ({"split": {"cutoff": "2020-01-01", "test_fraction": None}}, r"remove split\.cutoff"),
    ({"simulation": {"arms": ["control", "pop"]}}, r"remove the simulation section"),
])
def test_spec_errors_name_file_and_key(tmp_path, over, match):
    p = _write(tmp_path, **over)
    with pytest.raises(ConfigError, match=match) as e:
        load_spec(p)
    assert str(p) in str(e.value)


def test_default_is_basket_completion(tmp_path):
    p = tmp_path / "s.yaml"
    p.write_text(yaml.safe_dump({"name": "t", "dataset": "synthetic",
                                 "models": [{"name": "pop", "config": {"model": "popularity"}}]}))
    assert load_spec(p).task.kind == "basket_completion"


def test_the_split_runs_its_leakage_check(monkeypatch):
    """A wrong basket order (the check's job to catch) raises instead of reaching training."""
    import cs_lab.data.splits.next_basket as nb

    real = nb.customer_baskets

    def reversed_order(lines):
        b = real(lines)
        b["from_end"] = b["order"]          # the FIRST basket taken as the last
        return b

    lines = generate(n_customers=30, n_items=20, n_baskets=300, seed=2).dataset.lines
    nb.next_basket_split(lines)
    monkeypatch.setattr(nb, "customer_baskets", reversed_order)
    with pytest.raises(LeakageError):
        nb.next_basket_split(lines)


def test_training_sees_each_customers_returns_only_before_their_cut():
    from cs_lab.data.splits import Split
    from cs_lab.experiment.task import _before

    t = pd.Timestamp
    returns = pd.DataFrame({S.CUSTOMER: pd.array(["a", "a", "b", None, "c"], dtype=S.STRING),
                            S.TIMESTAMP: [t("2024-01-01"), t("2024-01-05"), t("2024-01-09"), t("2024-01-01"),
                                          t("2024-02-01")]})
    cut = pd.Series({"a": t("2024-01-05"), "b": t("2024-01-10")})
    s = Split("next_basket", pd.DataFrame(), pd.DataFrame(), customer_cutoffs=cut)
    kept = _before(returns, s)
    # a: only before its cut (the return AT the cut is not); b: before; anonymous: dropped; c: no cut, kept
    assert list(zip(kept[S.CUSTOMER], kept[S.TIMESTAMP])) == [("a", t("2024-01-01")), ("b", t("2024-01-09")),
                                                             ("c", t("2024-02-01"))]
