"""The lift table's ``p_holm`` is Holm's step-down adjustment within each (metric, method) family,
checked against statsmodels on families of three and four treated arms."""

from __future__ import annotations

import numpy as np
import pytest

from cs_lab.simulate.stats.lift import lift_table

multipletests = pytest.importorskip("statsmodels.stats.multitest").multipletests


def _experiment(n_arms: int, seed: int):
    rng = np.random.default_rng(seed)
    n = 4000
    arm = rng.integers(0, n_arms, n)
    effect = np.linspace(0.0, 0.02, n_arms)[arm]          # small lifts: p-values spread over (0, 1)
    conversion = (rng.random(n) < 0.10 + effect).astype(float)
    covariate = rng.gamma(2.0, 10.0, n)
    revenue = conversion * (20 + 0.5 * covariate + rng.normal(0, 5, n)) + 10 * effect
    names = [f"arm{a}" for a in range(n_arms)]
    return {"conversion": conversion, "revenue": revenue}, arm, names, covariate


@pytest.mark.parametrize("n_arms,control", [(4, 0), (5, 2)])
def test_p_holm_matches_statsmodels_within_each_family(n_arms, control):
    values, arm, names, cov = _experiment(n_arms, seed=n_arms)
    out = lift_table(values, arm, names, control, n_bootstrap=300, seed=1, covariate=cov)
    families = out.groupby(["metric", "method"], sort=False)
    assert families.ngroups >= 6                  # 2 metrics x (analytic, cuped-welch, bootstrap, cuped-bootstrap)
    moved = 0
    for (metric, method), fam in families:
        assert len(fam) == n_arms - 1 >= 3, (metric, method)
        want = multipletests(fam["p_value"].to_numpy(), method="holm")[1]
        np.testing.assert_allclose(fam["p_holm"].to_numpy(), want, rtol=1e-12, err_msg=f"{metric}/{method}")
        np.testing.assert_array_equal(fam["significant"].to_numpy(), want < 0.05)
        moved += int(np.any(np.abs(want - fam["p_value"].to_numpy()) > 1e-6))
    assert moved >= 4, "the adjustment must change some p-values or this test cannot see it missing"


def test_families_are_not_pooled_across_metrics():
    # pooling all rows into one family would multiply by 12 instead of 3
    values, arm, names, _ = _experiment(4, seed=7)
    out = lift_table(values, arm, names, 0)
    fam = out[(out["metric"] == "revenue") & (out["method"] == "welch")]
    np.testing.assert_allclose(fam["p_holm"], multipletests(fam["p_value"], method="holm")[1], rtol=1e-12)
