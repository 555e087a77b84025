"""Recommender.recommend in batches: a progress bar over the batches when the runner shows progress on
a console, and the same lists whatever the batch size."""

import io
import sys

import numpy as np

from cs_lab import _progress
from cs_lab.models import base, registry
from cs_lab.testing.data import contract_data


class Tty(io.StringIO):
    def isatty(self):
        return True


def test_batched_recommend_shows_a_bar_and_gives_the_same_lists(monkeypatch):
    data = contract_data(0)
    model = registry.build({"model": "item_knn"}).fit(data.train)
    whole_ids, whole_scores = model.recommend(data.queries, 10)
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.delitem(sys.modules, "ipykernel", raising=False)
    out = Tty()
    monkeypatch.setattr(sys, "stderr", out)
    monkeypatch.setattr(base, "SCORE_BLOCK", 4 * model.n_items)      # 4 queries per batch: > 8 batches
    with _progress.showing(True):
        ids, scores = model.recommend(data.queries, 10)
    assert "recommend" in out.getvalue() and "batch" in out.getvalue()
    np.testing.assert_array_equal(ids, whole_ids)
    np.testing.assert_array_equal(scores, whole_scores)
    out.seek(0), out.truncate()
    ids, _ = model.recommend(data.queries, 10)                          # outside the runner: no bar
    assert out.getvalue() == "" and np.array_equal(ids, whole_ids)
