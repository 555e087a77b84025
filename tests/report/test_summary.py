"""The results report's generated summary paragraph: every number it quotes is the run's own, and
each sentence says what the intervals allow (no more)."""

import math

import pandas as pd

from cs_lab.experiment.format import READ_TOGETHER
from cs_lab.report import tables
from cs_lab.report.runs import metric_key, read_artifact
from cs_lab.report.summary import (ab_sentence, certainty_sentence, counterfactual_table, limits_sentence,
                                   summary_paragraph)


def _family(rows):
    return pd.DataFrame(rows, columns=["model_a", "model_b", "metric", "diff", "ci_low", "ci_high", "decision"])


def test_certainty_quotes_the_deciding_intervals_from_the_winners_side():
    fam = _family([("als", "popularity", "ndcg@10", 0.05, 0.02, 0.08, "better"),
                   ("random", "als", "ndcg@10", -0.2, -0.3, -0.1, "worse"),          # als on the right: flipped
                   ("item_knn", "popularity", "ndcg@10", 0.01, -0.01, 0.03, "no detectable difference")])
    text = certainty_sentence("als", fam, "ndcg@10", 0.05)
    assert "better than popularity (+0.0500 [+0.0200, +0.0800])" in text
    assert "better than random (+0.2000 [+0.1000, +0.3000])" in text
    assert "item_knn" not in text and "holds against every baseline" in text and "simultaneous 95%" in text
    unsure = certainty_sentence("item_knn", fam, "ndcg@10", 0.05)
    assert "no detectable difference from popularity (+0.0100 [-0.0100, +0.0300])" in unsure
    assert "cannot rule out" in unsure
    assert "No decision family" in certainty_sentence("als", None, "ndcg@10", 0.05)


def _sim(p_b_beats_a, head_ci, cf_ci, arm_b="als"):
    row = lambda ci: {"arm": "als", "control": "control", "metric": "incremental_conversion", "abs_lift": sum(ci) / 2,
                      "abs_ci_low": ci[0], "abs_ci_high": ci[1], "rel_lift": None}
    return {"config": {"control": "control"}, "arms": {"control": {}, "als": {}},
            "draws": {"n": 200, "pairs": [{"metric": "incremental_conversion", "arm_b": arm_b,
                                           "arm_a": "control" if arm_b == "als" else "als",
                                           "p_b_beats_a": p_b_beats_a}]},
            "headline": [row(head_ci)], "counterfactual": [row(cf_ci)],
            "rates": [{"name": "take", "assumption": False}, {"name": "transport", "assumption": True}]}


def test_ab_sentence_gives_p_b_beats_a_and_reads_the_two_views_together():
    text = ab_sentence(_sim(0.97, (-0.001, 0.01), (0.002, 0.006)), "als")
    assert "P(B beats A) on incremental conversion is 0.97 across 200 draws" in text and "als very likely wins" in text
    assert "includes 0" in text and "clear of 0" in text
    assert "a live test of this size would likely not detect it" in text
    # B stored on the left of the pair: P(als beats control) = 1 - p_b_beats_a
    flipped = ab_sentence(_sim(0.03, (0.001, 0.01), (0.002, 0.006), arm_b="control"), "als")
    assert "is 0.97" in flipped and "would likely not detect" not in flipped
    assert "cannot tell" in ab_sentence(_sim(0.6, (-0.01, 0.01), (-0.01, 0.01)), "als")
    # an interval that starts at 0 (offers only add: the low end is 0 by construction) does not exclude 0
    at_zero = ab_sentence(_sim(0.9, (0.0, 0.01), (0.002, 0.006)), "als")
    assert "includes 0" in at_zero and "would likely not detect" in at_zero
    assert "no simulated A/B test" in ab_sentence(None, "als")


def test_limits_name_the_assumptions():
    text = limits_sentence(_sim(0.9, (0, 1), (0, 1)), "groceries")
    assert text.startswith("What this report cannot tell:") and "`groceries`" in text
    assert "transport is an assumption" in text and "take is" not in text


def test_summary_of_the_tiny_experiment_quotes_its_numbers(client, runs):
    board = tables.leaderboard(runs)
    comparison = read_artifact(client, runs.comparison_id, "comparison.csv")
    sim = read_artifact(client, runs.simulation.info.run_id, "simulation.json")
    text = summary_paragraph(runs, board, comparison, sim)
    winner = runs.comparison.data.tags["winner"]
    assert text.startswith(f"**{winner}** is the model this run chose, on the validation ndcg@10")
    valid = runs.models[winner].data.metrics["valid." + metric_key("ndcg@10")]
    test = board.set_index("model").loc[winner, "ndcg@10"]
    assert f"({valid:.4f}, mean over" in text and f"scores {test:.4f}" in text
    assert "P(B beats A)" in text and "What this report cannot tell" in text
    cf = counterfactual_table(sim)
    assert len(cf) and (cf["arm"] != "control").all() and not math.isnan(cf["abs_lift"].iloc[0])
    assert "randomised" in READ_TOGETHER and "counterfactual" in READ_TOGETHER
