"""The comparison run's description stays under MLflow's tag limit and keeps the winner."""

import pandas as pd

from cs_lab.experiment.stages.select import Selection
from cs_lab.experiment.stages.track import DESCRIPTION_LIMIT, comparison_markdown


def _sel():
    return Selection(objective="ndcg@10", direction="maximize", valid={"als": 0.1, "pop": 0.05},
                     ranking=["als", "pop"])


def test_short_description_holds_everything():
    board = pd.DataFrame({"model": ["als", "pop"], "ndcg@10": [0.1, 0.05]})
    text = comparison_markdown("x", _sel(), board, "Leaderboard ...\n\nVerdict\nals beats pop")
    assert "`als` wins on validation ndcg@10" in text and "| als" in text and "als beats pop" in text


def test_long_description_is_cut_to_fit():
    board = pd.DataFrame({f"metric_{i}": [0.123456] * 40 for i in range(30)}).assign(model=[f"m{i}" for i in range(40)])
    board = board[["model", *[c for c in board.columns if c != "model"]]]
    verdict = "x" * 5000 + "\nVerdict\nm0 beats m1"
    text = comparison_markdown("x", _sel(), board, verdict)
    assert len(text) < DESCRIPTION_LIMIT
    assert "`als` wins on validation" in text and "| m39" in text
