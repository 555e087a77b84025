"""Report tables built from the tiny experiment's runs and artifacts."""

import json

import numpy as np
import pandas as pd

from cs_lab.report import read_artifact, tables


def test_leaderboard_has_ci_bracketing_each_value(runs):
    board = tables.leaderboard(runs)
    assert list(board["model"]) == list(runs.models)
    for m in runs.ci_metrics:
        assert (board[f"{m} ci_low"] <= board[m] + 1e-12).all() and (board[m] <= board[f"{m} ci_high"] + 1e-12).all()
    assert board.set_index("model").loc["als", "trials"] == 2
    assert board.set_index("model").loc["als", "kind"] == "als"
    text = tables.format_leaderboard(board, runs.ci_metrics)
    cell = text.set_index("model").loc["als", "ndcg@10 (95% CI)"]
    assert cell.count("[") == 1 and cell.startswith(f"{board.set_index('model').loc['als', 'ndcg@10']:.4f}")


def test_leaderboard_matches_the_logged_leaderboard(client, runs):
    logged = read_artifact(client, runs.comparison_id, "leaderboard.csv").set_index("model")
    board = tables.leaderboard(runs).set_index("model")
    np.testing.assert_allclose(board.loc[logged.index, "ndcg@10"], logged["ndcg@10"], rtol=1e-9)


def test_pairwise_matrices_are_antisymmetric(client, runs):
    cmp = read_artifact(client, runs.comparison_id, "comparison.csv")
    models = list(runs.models)
    mats = tables.pairwise(cmp, "ndcg@10", models)
    diff, p = mats["diff"].to_numpy(), mats["p_adj"].to_numpy()
    assert np.isnan(np.diag(diff)).all()
    off = ~np.eye(len(models), dtype=bool)
    np.testing.assert_allclose(diff[off], -diff.T[off])        # (NaN for untested pairs on both sides)
    np.testing.assert_allclose(p[off], p.T[off])
    np.testing.assert_allclose(mats["ci_low"].to_numpy()[off], -mats["ci_high"].to_numpy().T[off])
    assert np.isfinite(diff[off]).sum() == 2 * len(cmp[cmp["metric"] == "ndcg@10"])
    row = cmp[(cmp["metric"] == "ndcg@10")].iloc[0]
    assert mats["diff"].loc[row.model_a, row.model_b] == row["diff"]
    assert mats["significant"].loc[row.model_a, row.model_b] == float(row["significant"])


def test_metrics_long_and_tradeoff(runs):
    long = tables.metrics_long(runs)
    assert set(long.columns) == {"model", "metric", "k", "value"}
    assert set(long.loc[long["metric"] == "ndcg", "k"]) == {5, 10}
    # CI bounds, spreads and per-window values excluded; the repeat / explore parts are metrics of their own
    assert set(long["metric"][long["metric"].str.contains(r"\.")].str.split(".").str[1]) <= {"repeat", "explore"}
    assert not long["metric"].str.contains("ci_|sd_|^w[0-9]").any()
    trade = tables.tradeoff(long, "ndcg@10")
    assert list(trade.columns) == ["model", "ndcg@10", "coverage@10", "novelty@10"]
    assert set(trade["model"]) == set(runs.models)
    assert trade["coverage@10"].between(0, 1).all()


def test_segment_table(client, runs):
    seg = read_artifact(client, runs.comparison_id, "segments.csv")
    table = tables.segment_table(seg, list(runs.models))
    assert table.columns[0] == "carts"
    assert [c.split()[0] for c in table.columns[1:]] == list(runs.models)
    assert set(table.index.get_level_values("segment_by")) == set(seg["segment_by"])
    assert tables.segment_table(pd.DataFrame(), []).empty


def test_lift_table(client, runs):
    sim = read_artifact(client, runs.simulation.info.run_id, "simulation.json")
    lift = tables.lift_table(sim)
    assert {"arm", "metric", "rel_lift", "abs_lift", "p_holm"} <= set(lift.columns)
    assert "control" not in set(lift["arm"]) and "conversion" in set(lift["metric"])
    assert tables.lift_table({}).empty


def test_tradeoff_and_long_table_read_explore_objectives():
    import pandas as pd

    long = pd.DataFrame({"model": ["a", "a", "a", "b", "b", "b"],
                         "metric": ["ndcg.explore", "ndcg", "coverage"] * 2, "k": [10] * 6,
                         "value": [0.01, 0.08, 0.3, 0.02, 0.05, 0.5]})
    out = tables.tradeoff(long, "ndcg@10.explore").set_index("model")
    assert list(out.columns) == ["ndcg@10.explore", "coverage@10"]
    assert out.loc["b", "ndcg@10.explore"] == 0.02          # the explore part, not the overall value
    assert tables._TEST_KEY.match("test.ndcg_at_10.explore")["part"] == "explore"
    assert tables._TEST_KEY.match("test.w0.ndcg_at_10") is None             # per-window values are not metrics
    assert tables._TEST_KEY.match("test.ndcg_at_10.ci_low") is None


def test_tidy_drops_empty_columns_and_uses_one_format():
    import numpy as np
    import pandas as pd

    from cs_lab.report.tables import tidy

    df = pd.DataFrame({"arm": ["a", "b"], "rate": [0.0619712, 0.0779], "margin_per_session": [np.nan, np.nan],
                       "p_adj": [0.0, 0.0312]})
    styled, dropped = tidy(df, n_boot=1000)
    assert dropped == ["margin_per_session"]
    html = styled.to_html()
    assert "0.0620" in html and "0.0779" in html and "e-02" not in html
    assert "&lt;0.001" in html and "0.0312" in html
    assert "margin_per_session" not in html
    # a p column may say why there is no p-value (fixed by construction): shown as text, not a crash
    text = pd.DataFrame({"arm": ["a"], "p": ["interval only: rates"]})
    assert "interval only: rates" in tidy(text)[0].to_html()


def test_rates_and_assumptions_next_to_the_lift():
    from cs_lab.report.tables import assumptions_paragraph, rates_table
    from cs_lab.simulate import SimulationConfig, simulate
    from cs_lab.simulate.synthetic import synthetic_policy, synthetic_sessions

    data = synthetic_sessions(400, n_items=100, seed=2)
    arms = {"control": None, "A": synthetic_policy(data, 0.5, seed=1)}
    res = simulate(data.sessions, data.truth, arms, SimulationConfig(rates="priors", rate_draws=20, n_bootstrap=0,
                                                                     ci_method="analytic"))
    sim = json.loads(res.to_json())
    rates = rates_table(sim)
    assert {"assumption.take_transport", "coupon.uptake", "slot_examination.2"} <= set(rates["name"])
    assert rates.set_index("name").loc["assumption.take_transport", "assumption"]
    text = assumptions_paragraph(sim)
    assert "assumption.take_transport" in text and "20 draws" in text and "organic" in text
    fixed = json.loads(simulate(data.sessions, data.truth, arms,
                                SimulationConfig(n_bootstrap=0, ci_method="analytic")).to_json())
    assert "sampling uncertainty only" in assumptions_paragraph(fixed)
