"""`cs-lab run --jobs N`: each worker gets its share of the cores for BLAS / OpenMP / numba, a value
the user set is kept, and the recommendations do not depend on the thread count."""

import numpy as np
import pytest

from cs_lab.cli import run as run_cli
from cs_lab.models.implicit_cf import ALS, BPR
from cs_lab.models.lightfm_cf import LightFMModel
from cs_lab.testing.data import contract_data


def test_each_worker_gets_its_share_and_user_settings_are_kept(monkeypatch):
    monkeypatch.setattr(run_cli.os, "cpu_count", lambda: 8)
    env = run_cli.worker_thread_env(2, environ={"OMP_NUM_THREADS": "7"})
    assert "OMP_NUM_THREADS" not in env                               # the user's value is kept
    assert env == {v: "4" for v in run_cli.THREAD_VARIABLES[1:]}
    assert set(run_cli.worker_thread_env(16, environ={}).values()) == {"1"}   # never below one thread


def test_the_settings_reach_the_workers_and_leave_this_process_alone(monkeypatch):
    """Set around the workers' start only: this process's numba refuses a changed thread count."""
    import os

    monkeypatch.delenv("OPENBLAS_NUM_THREADS", raising=False)
    with run_cli._environment({"OPENBLAS_NUM_THREADS": "1"}):
        import multiprocessing as mp

        with mp.get_context("spawn").Pool(1) as pool:
            seen = pool.apply(os.getenv, ("OPENBLAS_NUM_THREADS",))
    assert seen == "1" and "OPENBLAS_NUM_THREADS" not in os.environ


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
