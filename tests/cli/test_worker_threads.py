"""`cs-lab run --jobs N`: each worker gets its share of the cores for BLAS / OpenMP / numba, a value
the user set is kept, and the recommendations do not depend on the thread count."""

import numpy as np
import pytest

from cs_lab.cli import run as run_cli
from cs_lab.models.implicit_cf import ALS, BPR
from cs_lab.models.lightfm_cf import LightFMModel
from cs_lab.testing.data import contract_data


def test_each_worker_gets_its_share_and_user_settings_are_kept(monkeypatch):
    for var in run_cli.THREAD_VARIABLES:
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("OMP_NUM_THREADS", "7")
    monkeypatch.setattr(run_cli.os, "cpu_count", lambda: 8)
    run_cli.limit_worker_threads(2)
    import os

    assert os.environ["OMP_NUM_THREADS"] == "7"                       # the user's value
    assert all(os.environ[v] == "4" for v in run_cli.THREAD_VARIABLES[1:])
    for var in run_cli.THREAD_VARIABLES[1:]:
        monkeypatch.delenv(var)
    run_cli.limit_worker_threads(16)                                   # never below one thread
    assert all(os.environ[v] == "1" for v in run_cli.THREAD_VARIABLES[1:])


@pytest.mark.parametrize("make", [lambda: ALS(factors=16, iterations=3, num_threads=1),
                                  lambda: BPR(factors=16, iterations=3, num_threads=1),
                                  lambda: LightFMModel(no_components=16, epochs=2, num_threads=1)],
                         ids=["als", "bpr", "lightfm"])
def test_recommendations_do_not_depend_on_the_blas_threads(make):
    threadpoolctl = pytest.importorskip("threadpoolctl")
    data = contract_data(0)
    model = make().fit(data.train)
    with threadpoolctl.threadpool_limits(1):
        one = model.recommend(data.queries, 10)
    with threadpoolctl.threadpool_limits(4):
        many = model.recommend(data.queries, 10)
    np.testing.assert_array_equal(one[0], many[0])
    np.testing.assert_array_equal(one[1], many[1])
