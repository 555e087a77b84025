"""Processes sharing the model cache fit a key once: a second caller of the same key waits for the
first and loads its model (the standard and explore specs run at once with --jobs)."""

from __future__ import annotations

import threading
import time
from types import SimpleNamespace

import numpy as np
import pandas as pd

from cs_lab.data import schema as S
from cs_lab.data.interactions import Interactions
from cs_lab.experiment.stages import fit as fit_stage


def _train() -> Interactions:
    rng = np.random.default_rng(0)
    n = 400
    df = pd.DataFrame({S.CUSTOMER: rng.integers(0, 30, n).astype(str), S.ITEM: rng.integers(0, 40, n).astype(str),
                       S.BASKET: rng.integers(0, 120, n).astype(str),
                       S.TIMESTAMP: pd.Timestamp("2020-01-01") + pd.to_timedelta(rng.integers(0, 90, n), "D"),
                       S.QUANTITY: 1.0, S.UNIT_PRICE: 1.0, S.VALUE: 1.0})
    return Interactions.from_lines(df)


def test_a_second_caller_waits_for_the_fit_and_loads_it(tmp_path, monkeypatch):
    ctx = SimpleNamespace(options=SimpleNamespace(cache_dir=tmp_path / ".models"))
    params = {"model": "popularity"}
    train = _train()
    fits = []
    real = fit_stage.store

    def slow_store(d, model):          # a fit takes long enough for the second call to arrive mid-fit
        fits.append(threading.get_ident())
        time.sleep(0.5)
        real(d, model)

    monkeypatch.setattr(fit_stage, "store", slow_store)
    results = []
    threads = [threading.Thread(target=lambda: results.append(fit_stage.fit(ctx, "pop", params, train, "fp")))
               for _ in range(2)]
    for t in threads:
        t.start()
        time.sleep(0.1)
    for t in threads:
        t.join(timeout=30)
    assert len(fits) == 1                                     # fitted once
    assert sorted(r.cached for r in results) == [False, True]  # the other caller loaded it
    assert not list((tmp_path / ".models").glob("*.tmp-*"))
