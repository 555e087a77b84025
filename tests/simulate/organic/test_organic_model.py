from __future__ import annotations

import numpy as np
import pytest

from cs_lab.errors import NotFittedError
from cs_lab.simulate.organic import OrganicConfig, OrganicModel, calibration_report, fit_logistic, plot_reliability
from tests.simulate.organic._history import by_weeks, habit_lines


@pytest.fixture(scope="module")
def lines():
    return habit_lines()


@pytest.fixture(scope="module")
def model(lines):
    return OrganicModel(OrganicConfig(seed=0)).fit(by_weeks(lines, 0, 8), by_weeks(lines, 8, 10))


def test_habits_are_organic_new_items_are_not(model, lines):
    hist = by_weeks(lines, 0, 10)
    t = np.full(2, np.datetime64("2024-03-11"))
    # C0's most frequent item (a habit) vs an item C0 never bought
    c0 = hist[hist["customer_id"] == "C0"]["item_id"].value_counts()
    never = next(f"I{i}" for i in range(200) if f"I{i}" not in set(c0.index))
    p = model.predict(model.design(hist, ["C0", "C0"], [c0.index[0], never], t))
    assert p[0] > 0.4 and p[1] < 0.05


def test_calibrated_on_held_out_customers(model, tmp_path):
    rep = calibration_report(model)
    # the habit probability is 0.7 and the model sees repeat/regularity: well calibrated, skilful
    assert rep["brier_skill_repeat"] > 0.3
    r = rep["reliability_repeat"]
    assert np.average(np.abs(r["predicted"] - r["observed"]), weights=r["n"]) < 0.05
    fig = plot_reliability(rep, tmp_path / "rel.png")
    assert (tmp_path / "rel.png").stat().st_size > 5000 and fig.axes


def test_logistic_matches_scikit_learn():
    sk = pytest.importorskip("sklearn.linear_model")
    rng = np.random.default_rng(1)
    X = rng.normal(size=(3000, 3))
    y = (rng.random(3000) < 1 / (1 + np.exp(-(0.5 + X @ [1.0, -2.0, 0.3])))).astype(float)
    w = rng.uniform(0.5, 2.0, 3000)
    beta, cov = fit_logistic(X, y, w, l2=0.0)
    ref = sk.LogisticRegression(C=np.inf, tol=1e-10, max_iter=1000).fit(X, y, sample_weight=w)
    np.testing.assert_allclose(beta, np.r_[ref.intercept_, ref.coef_[0]], atol=1e-4)
    assert np.all(np.diag(cov) > 0)


def test_unfitted_model_raises():
    with pytest.raises(NotFittedError):
        OrganicModel().coefficients()
