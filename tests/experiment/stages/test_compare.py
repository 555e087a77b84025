"""The compare stage's pieces on hand-made numbers: the declared family, decisions, the verdict."""

import numpy as np
import pandas as pd

from cs_lab.experiment.stages.compare import _better, family_pairs, make_verdict
from cs_lab.experiment.stages.select import Selection


def test_family_is_each_model_against_each_baseline_once():
    pairs = family_pairs(["pop", "pers", "als", "knn"], ["pop", "pers"])
    assert pairs == [("pers", "pop"), ("als", "pop"), ("knn", "pop"), ("als", "pers"), ("knn", "pers")]


def test_decisions_follow_the_interval_and_the_direction():
    assert _better(0.01, 0.03, maximize=True) == "better"
    assert _better(-0.03, -0.01, maximize=True) == "worse"
    assert _better(-0.01, 0.02, maximize=True) == "no detectable difference"
    assert _better(0.01, 0.03, maximize=False) == "worse"       # a minimised metric went up
    assert _better(-0.03, -0.01, maximize=False) == "better"
    assert _better(0.0, 0.02, maximize=True) == "no detectable difference"   # touching 0 is not excluding it


def _family(rows):
    return pd.DataFrame(rows, columns=["model_a", "model_b", "metric", "diff", "ci_low", "ci_high", "p_adj",
                                       "significant"])


def test_verdict_counts_the_windows_where_the_winner_beats_every_baseline():
    sel = Selection("ndcg@10", "maximize", {"knn": 0.05, "pop": 0.02, "pers": 0.04}, ["knn", "pers", "pop"])
    per_window = pd.DataFrame({"w0": [0.05, 0.02, 0.04], "w1": [0.05, 0.02, 0.06], "w2": [0.06, 0.03, 0.05]},
                              index=["knn", "pop", "pers"])
    board = pd.DataFrame({"model": ["knn", "pers", "pop"], "ndcg@10": [0.053, 0.05, 0.023]})
    fam = _family([("knn", "pop", "ndcg@10", 0.03, 0.02, 0.04, 0.001, True),
                   ("knn", "pers", "ndcg@10", 0.003, -0.002, 0.008, 0.4, False)])
    v = make_verdict(sel, fam, per_window, board, ["pop", "pers"], "ndcg@10", n_boot=1000)
    assert v.winner == "knn" and v.windows_held == 2 and v.n_windows == 3   # w1: pers 0.06 > knn 0.05
    text = v.text()
    assert "does NOT hold in every window" in text and "in 2 of 3 window(s)" in text
    assert "vs pop" in text and "-> better" in text and "-> no detectable difference" in text
    assert v.test_best == "knn" and "agrees with the validation choice" in text


def test_verdict_reads_pairs_where_the_winner_is_the_baseline_from_its_side():
    sel = Selection("ndcg@10", "maximize", {"pers": 0.09, "als": 0.03, "pop": 0.02}, ["pers", "als", "pop"])
    per_window = pd.DataFrame({"w0": [0.09, 0.03, 0.02]}, index=["pers", "als", "pop"])
    board = pd.DataFrame({"model": ["pers", "als", "pop"], "ndcg@10": [0.09, 0.031, 0.02]})
    fam = _family([("als", "pers", "ndcg@10", -0.06, -0.07, -0.05, 0.0, True),
                   ("pers", "pop", "ndcg@10", 0.07, 0.06, 0.08, 0.0, True)])
    text = make_verdict(sel, fam, per_window, board, ["pop", "pers"], "ndcg@10", n_boot=1000).text()
    # als - pers = -0.06 [-0.07, -0.05] is read as pers - als = +0.06 [+0.05, +0.07]
    assert "vs als" in text and "+0.0600" in text and "[+0.0500, +0.0700]" in text
    assert "adjusted p <0.001" in text                               # never "p=0" from a bootstrap


def test_a_baseline_identical_to_another_is_counted_once():
    from types import SimpleNamespace

    from cs_lab.experiment.stages.compare import distinct_baselines

    ids = np.arange(12).reshape(3, 4)

    def model(*arrays):
        return SimpleNamespace(windows=[SimpleNamespace(test_ids=[a]) for a in arrays])

    scores = {"pop": model(ids, ids + 1), "pers": model(ids.copy(), ids + 1), "knn": model(ids, ids + 2)}
    assert distinct_baselines(["pop", "pers"], scores) == (["pop"], {"pers": "pop"})
    assert distinct_baselines(["pop", "knn"], scores) == (["pop", "knn"], {})   # differs in one window
