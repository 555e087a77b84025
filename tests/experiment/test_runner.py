"""The runner end to end on a tiny synthetic experiment (bring-your-own CSV + mapping)."""

import numpy as np
import optuna
import pytest

from cs_lab.experiment.runner import ExperimentRunner, RunOptions
from cs_lab.experiment.spec import load_spec
from cs_lab.testing.experiment import tiny_spec
from cs_lab.tracking import FINISHED, KILLED, MemoryTracker


@pytest.fixture
def spec_path(tmp_path, tmp_cache):
    return tiny_spec(tmp_path, trials=3)


def run(spec_path, tmp_path, tracker=None, **opts):
    tracker = tracker or MemoryTracker()
    spec = load_spec(spec_path)
    res = ExperimentRunner(spec, tracker, RunOptions(run_dir=tmp_path / "runs" / spec.name, progress=False,
                                                     log_models=False, **opts)).run()
    return res, tracker


def test_end_to_end(spec_path, tmp_path):
    res, tr = run(spec_path, tmp_path)
    # one top-level run per invocation, named <spec>@<started>; every other run nests under it
    tops = [rid for rid, r in tr.runs.items() if r["parent"] is None]
    assert len(tops) == 1 and tr.runs[tops[0]]["name"].startswith("tiny@")
    top = tr.runs[tops[0]]
    assert top["tags"]["kind"] == "invocation" and top["tags"]["winner"] == res.winner
    assert "winner.valid.ndcg_at_10" in top["metrics"]
    assert f"`{res.winner}` wins" in top["tags"]["mlflow.note.content"]
    parents = {r["name"]: rid for rid, r in tr.runs.items() if r["parent"] == tops[0]}
    assert set(parents) == {"popularity", "item_knn", "als", "comparison", "ab_simulation"}
    assert not (tmp_path / "runs" / "tiny" / "invocation.json").exists()   # finished: a rerun starts a new row
    trials = [r for r in tr.runs.values() if r["parent"] == parents["als"]]
    assert len(trials) == 3 and [r["name"] for r in sorted(trials, key=lambda r: r["name"])] == ["als/trial-0", "als/trial-1", "als/trial-2"]
    assert all(r["status"] == FINISHED for r in tr.runs.values())
    als = tr.runs[parents["als"]]
    m = als["metrics"]
    assert "test.ndcg_at_10" in m and "test.ndcg_at_10.ci_low" in m
    assert m["test.ndcg_at_10.ci_low"] <= m["test.ndcg_at_10"] <= m["test.ndcg_at_10.ci_high"]
    # repeat / explore parts, per-window values, the spread over windows and seeds, validation score
    for key in ("test.ndcg_at_10.repeat", "test.ndcg_at_10.explore", "test.repeat_share_at_10",
                "test.hit_value_at_10", "test.fill_rate_at_10", "test.w0.ndcg_at_10", "test.w1.ndcg_at_10",
                "test.ndcg_at_10.sd_windows", "test.ndcg_at_10.sd_seeds", "valid.ndcg_at_10"):
        assert key in m, key
    assert {"per_query.parquet", "plots/optimisation_history.png", "trials.csv"} <= set(als["artifacts"])
    for tag in ("git_commit", "code_version", "dataset_sha256", "split_fingerprint", "spec_hash"):
        assert tag in als["tags"]
    assert als["params"]["factors"] != "" and "default.factors" in als["params"]
    comp = tr.runs[parents["comparison"]]
    assert {"spec.yaml", "leaderboard.csv", "leaderboard.md", "comparison.csv", "comparison.md", "verdict.txt",
            "secondary.csv", "segments.csv", "per_window.csv", "plots/metrics_vs_k.png",
            "plots/per_window.png"} <= set(comp["artifacts"])
    board = res.leaderboard
    assert set(board["model"]) == {"popularity", "item_knn", "als"}
    # ordered by the validation objective (the winner first), never by test
    assert (board["valid ndcg@10"].diff().dropna() <= 1e-12).all()
    assert board.iloc[0]["model"] == res.winner == comp["tags"]["winner"]
    assert {"ndcg@10.repeat", "ndcg@10.explore", "ndcg@10 sd"} <= set(board.columns)
    # recall@10 == hit_rate@10 under leave-one-out: listed once
    assert "recall@10" in res.compared.duplicates
    fam = res.comparison
    assert set(fam["model_b"]) == {"popularity"} and set(fam["metric"]) == {"ndcg@10"}
    # the interval printed next to a decision is the one that made it
    assert (fam["significant"] == ((fam["ci_low"] > 0) | (fam["ci_high"] < 0))).all()
    # planted pairs: item-kNN beats popularity clearly on this data
    assert res.outcomes["item_knn"].test_values("ndcg@10").mean() > res.outcomes["popularity"].test_values("ndcg@10").mean()
    assert len(res.outcomes["als"].windows) == 2 and res.outcomes["als"].seeds == 2
    assert res.outcomes["item_knn"].seeds == 1                       # deterministic: one fit per window


def test_noise_in_the_test_set_cannot_change_the_choice(spec_path, tmp_path, monkeypatch):
    clean, _ = run(spec_path, tmp_path / "clean")
    from cs_lab.experiment import task as task_mod
    from cs_lab.experiment.stages import prepare as prep

    real = task_mod.prepare_windows

    def noisy(spec, dataset=None):
        out = real(spec, dataset)
        rng = np.random.default_rng(0)
        for t in out:
            ev = t.final.eval
            perm = rng.permutation(ev.truth.shape[0])        # each cart gets another cart's hidden items
            ev.truth, ev.truth_value = ev.truth[perm], ev.truth_value[perm]
            ev.truth_margin = None if ev.truth_margin is None else ev.truth_margin[perm]
        return out

    monkeypatch.setattr(prep, "prepare_windows", noisy)
    dirty, _ = run(spec_path, tmp_path / "noisy")
    assert dirty.winner == clean.winner
    assert list(dirty.leaderboard["model"]) == list(clean.leaderboard["model"])
    assert not np.allclose(dirty.leaderboard["ndcg@10"], clean.leaderboard["ndcg@10"])   # test did change


def test_a_code_change_invalidates_every_cache(spec_path, tmp_path, monkeypatch):
    first, _ = run(spec_path, tmp_path)
    from cs_lab.experiment.stages import context

    monkeypatch.setattr(context, "code_version", lambda: "0.1.0+a-changed-scorer")
    second, tr = run(spec_path, tmp_path)
    assert not any(o.cached for o in second.outcomes.values())        # every model refitted
    trials = [r for r in tr.runs.values() if "/trial-" in r["name"]]
    assert len(trials) == 3                                           # a new study, tuned afresh


def test_explore_task(tmp_path, tmp_cache):
    path = tiny_spec(tmp_path, trials=2, task={"max_queries": 300, "max_validation_queries": 200,
                                               "exclude": ["cart", "history"]},
                     metrics={"ks": [5, 10], "objective": "ndcg@10.explore"})
    res, _ = run(path, tmp_path)
    board = res.leaderboard.set_index("model")
    assert (board["repeat_share@10"] == 0).all()           # the history is never recommended
    for t in res.windows:                                  # only carts with a new hidden item are scored
        assert t.final.eval.truth.multiply(t.final.eval.history).nnz == 0
    assert set(res.comparison["metric"]) == {"ndcg@10.explore"}


def test_rerun_recomputes_nothing(spec_path, tmp_path):
    first, _ = run(spec_path, tmp_path)
    second, tr = run(spec_path, tmp_path)
    assert all(o.cached for o in second.outcomes.values())
    trials = [r for r in tr.runs.values() if "/trial-" in r["name"]]
    assert trials == []  # the study already has its trials
    for name, o in first.outcomes.items():
        np.testing.assert_array_equal(o.per_query()[0].to_numpy(), second.outcomes[name].per_query()[0].to_numpy())


def test_same_config_same_numbers(tmp_path, tmp_cache):
    a, _ = run(tiny_spec(tmp_path / "a", trials=2), tmp_path / "a")
    b, _ = run(tiny_spec(tmp_path / "b", trials=2), tmp_path / "b")
    for name in a.outcomes:
        assert a.outcomes[name].params == b.outcomes[name].params
        np.testing.assert_array_equal(a.outcomes[name].per_query()[0].to_numpy(),
                                      b.outcomes[name].per_query()[0].to_numpy())


def test_killed_run_resumes_without_redoing_trials(spec_path, tmp_path, monkeypatch):
    from cs_lab.experiment import objective as obj

    real_call = obj.Objective.__call__
    calls = {"n": 0}

    def interrupt_on_third(self, trial):
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt
        return real_call(self, trial)

    monkeypatch.setattr(obj.Objective, "__call__", interrupt_on_third)
    tr = MemoryTracker()
    with pytest.raises(KeyboardInterrupt):
        run(spec_path, tmp_path, tracker=tr)
    statuses = {r["name"]: r["status"] for r in tr.runs.values() if "optuna.trial" not in r["tags"]}
    assert statuses["als"] == KILLED and "RUNNING" not in statuses.values()
    (top,) = [rid for rid, r in tr.runs.items() if r["parent"] is None]
    assert tr.runs[top]["status"] == KILLED
    before = set(tr.runs)
    monkeypatch.setattr(obj.Objective, "__call__", real_call)
    res, _ = run(spec_path, tmp_path, tracker=tr, resume=True)
    new_trials = [r for rid, r in tr.runs.items() if "/trial-" in r["name"] and rid not in before]
    assert len(new_trials) == 1  # 2 were done before the kill, 3 were asked for
    # the resumed invocation continues under its parent run: still one top-level row, now FINISHED
    assert [rid for rid, r in tr.runs.items() if r["parent"] is None] == [top]
    assert tr.runs[top]["status"] == FINISHED and "resumed_at" in tr.runs[top]["tags"]
    assert {tr.runs[rid]["parent"] for rid in set(tr.runs) - before if "/trial-" not in tr.runs[rid]["name"]} == {top}
    assert res.outcomes["als"].n_trials == 3
    storage = optuna.storages.JournalStorage(
        optuna.storages.journal.JournalFileBackend(str(tmp_path / "runs" / "tiny" / "optuna.journal")))
    study = optuna.load_study(study_name=optuna.get_all_study_names(storage)[0], storage=storage)
    states = [t.state.name for t in study.trials]
    assert states.count("COMPLETE") + states.count("PRUNED") == 3


def test_simulation_section(spec_path, tmp_path):
    res, tr = run(spec_path, tmp_path)
    sim = res.simulation
    best = res.winner
    assert sim.arms == ["control", "popularity", best] or sim.arms == ["control", "popularity"]
    arms = sim.result.arms.set_index("arm")
    assert arms.loc["control", "conversion"] > 0          # organic purchases make control realistic
    assert arms.loc["control", "offer_conversion"] == 0    # no offers, no accepted offers
    assert arms["n"].sum() == len(res.task.final.eval)
    run_ = next(r for r in tr.runs.values() if r["name"] == "ab_simulation")
    assert {"simulation.json", "arms.csv", "lift.csv", "plots/lift_conversion.png", "rates.csv", "rates.json",
            "plots/organic_reliability.png", "draws_pairs.csv"} <= set(run_["artifacts"])
    assert "control.conversion" in run_["metrics"]
    # the rates, their sources and intervals, with each simulation
    assert run_["params"]["rate.coupon.uptake.source"] and "rate.slot_examination.2.ci_high" in run_["metrics"]
    assert "rate.assumption.take_transport.assumption" in run_["params"]
    assert "organic.brier_validation" in run_["metrics"] and "power.design_effect" in run_["metrics"]
    assert any(k.startswith("pbeats.incremental_conversion.") for k in run_["metrics"])
    # every session of a customer in one arm
    per = sim.result.per_session
    known = per[per["customer_id"].notna()]
    assert known.groupby("customer_id", observed=True)["arm"].nunique().max() == 1


def test_logged_recommendations_evaluate_through_the_cli(spec_path, tmp_path, capsys):
    """The recommendations file a run logs is what `cs-lab evaluate` reads, and gives the same numbers."""
    import json

    from cs_lab.cli import main
    from cs_lab.experiment.task import recommendations_frame, truth_frame

    res, _ = run(spec_path, tmp_path)
    ev = res.task.final.eval
    out = res.outcomes["item_knn"]
    recs = recommendations_frame(out.ids, ev.segments.index.to_numpy(), ev.eval_items)
    recs.to_parquet(tmp_path / "recs.parquet")
    truth_frame(ev).to_csv(tmp_path / "truth.csv", index=False)
    capsys.readouterr()
    assert main(["evaluate", str(tmp_path / "recs.parquet"), str(tmp_path / "truth.csv"), "--k", "5,10", "--json"]) == 0
    got = json.loads(capsys.readouterr().out)
    for k in (5, 10):
        for metric in ("ndcg", "precision", "recall", "hit_rate", "mrr"):
            assert abs(got[str(k)][metric] - out.result.summary[metric][k]) < 1e-12, (metric, k)
    # with the logged history the CLI splits every metric into repeat and explore, as the run did
    from cs_lab.experiment.task import history_frame

    history_frame(ev).to_csv(tmp_path / "history.csv", index=False)
    assert main(["evaluate", str(tmp_path / "recs.parquet"), str(tmp_path / "truth.csv"), "--k", "10",
                 "--history", str(tmp_path / "history.csv"), "--json"]) == 0
    got = json.loads(capsys.readouterr().out)["10"]
    for metric in ("ndcg", "hit_rate"):
        for part in (".repeat", ".explore"):
            assert abs(got[metric + part] - out.result.value(f"{metric}@10{part}")) < 1e-12, (metric, part)


def test_multi_objective_tuning_reports_pareto_front(tmp_path, tmp_cache):
    path = tiny_spec(tmp_path, trials=4, tuning={"trials": 4, "seed": 0, "objectives": ["ndcg@10", "revenue@10"]})
    res, tr = run(path, tmp_path)
    als = next(r for r in tr.runs.values() if r["name"] == "als")
    assert {"pareto_front.csv", "plots/pareto_front.png"} <= set(als["artifacts"])
    assert {"best_valid.ndcg@10", "best_valid.revenue@10"} <= {k.replace("_at_", "@") for k in als["metrics"]}


def test_fits_per_model(spec_path, tmp_path, monkeypatch):
    """ALS (stochastic, tuned): 3 trials, then per window one validation fit and one test fit per
    seed -- except the earliest window's validation fit, which is the chosen trial's (cached).
    item-kNN (deterministic, untuned): one validation and one test fit per window."""
    from cs_lab.models.base import Recommender

    fits = {}
    real = Recommender.fit

    def counting(self, train, on_iteration=None):
        fits[type(self).__name__] = fits.get(type(self).__name__, 0) + 1
        return real(self, train, on_iteration=on_iteration)

    monkeypatch.setattr(Recommender, "fit", counting)
    run(spec_path, tmp_path)
    assert fits["ALS"] == 3 + 2 * (1 + 2) - 1
    assert fits["ItemKNN"] == 2 * 2


def _trial_values(tracker, metric: str) -> dict[str, float]:
    return {r["name"]: r["metrics"][metric] for r in tracker.runs.values() if "/trial-" in r["name"]}


def test_with_pruning_off_a_second_spec_reuses_the_trial_fits_and_gets_its_own_numbers(tmp_path, tmp_cache):
    """The standard and explore specs try the same search points: with pruning off, the second
    spec's trials load the first one's fits from the shared cache (tagged, no refit), and score them
    under their own objective exactly as the spec run alone does."""
    from cs_lab.experiment import objective as obj

    explore = dict(task={"max_queries": 300, "max_validation_queries": 200, "exclude": ["cart", "history"]},
                   metrics={"ks": [5, 10], "objective": "ndcg@10.explore"},
                   comparison={"baselines": ["popularity"], "bootstrap": 200, "metrics": ["ndcg@10.explore"]})
    tuning = {"tuning": {"trials": 3, "seed": 0, "pruning": False}}
    run(tiny_spec(tmp_path, name="standard", **tuning), tmp_path)
    fits = []
    real_fit = obj.Recommender.fit

    def counting_fit(self, train, **kw):
        fits.append((type(self).__name__, kw.get("on_iteration") is not None))
        return real_fit(self, train, **kw)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(obj.Recommender, "fit", counting_fit)
        _, shared = run(tiny_spec(tmp_path, name="explore", **tuning, **explore), tmp_path)
    trials = [r for r in shared.runs.values() if r["name"].startswith("als/trial-")]
    assert len(trials) == 3 and all("cs_lab.fit" in r["tags"] for r in trials)
    assert ("ALS", True) not in fits                     # no trial fitted ALS again
    _, alone = run(tiny_spec(tmp_path / "alone", name="explore", **tuning, **explore), tmp_path / "alone")
    metric = "valid.ndcg_at_10.explore"
    assert _trial_values(shared, metric) == _trial_values(alone, metric)
    assert not any("cs_lab.fit" in r["tags"] for r in alone.runs.values() if "/trial-" in r["name"])


def test_with_pruning_on_trial_fits_are_never_reused(tmp_path, tmp_cache):
    run(tiny_spec(tmp_path, name="standard", trials=2), tmp_path)
    _, second = run(tiny_spec(tmp_path, name="other", trials=2, metrics={"ks": [5, 10], "objective": "hit_rate@10"}),
                    tmp_path)
    trials = [r for r in second.runs.values() if "/trial-" in r["name"]]
    assert trials and not any("cs_lab.fit" in r["tags"] for r in trials)
