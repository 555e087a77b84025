"""A/A: the same policy in both arms, 500 seeds, customer-level randomisation (the default: every
session of a customer in one arm; about 3.3 sessions per customer, whose spending level drives
revenue). A test whose intervals are too narrow (wrong variance, ignoring the clustering, dependent
arms, a broken bootstrap) shows a false-positive rate well above alpha and fails here; the band is
the central 99.9 % of Binomial(500, 0.05)."""

import pytest

from cs_lab.simulate import SessionSet, SimulationConfig, aa_test
from cs_lab.simulate.aa import binomial_band
from cs_lab.simulate.synthetic import synthetic_policy, synthetic_sessions

RUNS = 500


pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def aa():
    data = synthetic_sessions(1500, n_items=300, seed=21)
    ss = SessionSet.from_frames(data.sessions, data.truth, covariate="pre_period_spend")
    # B = 400: with B = 100 the (k + 1) / (B + 1) p-value is visibly conservative (2.0 % at alpha 5 %)
    cfg = SimulationConfig(n_bootstrap=400, cuped=True, take_rate=0.4, organic_rate=0.15, seed=1000,
                           assignment="customer")
    return aa_test(ss, synthetic_policy(data, 0.5, seed=4), cfg, n_runs=RUNS)


def test_false_positive_rate_is_alpha(aa):
    lo, hi = binomial_band(RUNS, 0.05, 0.999)
    assert (lo, hi) == (11, 42)
    s = aa.summary.set_index(["metric", "method"])
    assert len(s) == 8  # conversion, addon_revenue x cluster-z, cuped-cluster-z, bootstrap, cuped-bootstrap
    for key, row in s.iterrows():
        assert row["runs"] == RUNS
        assert lo <= row["false_positives"] <= hi, f"{key}: {row['false_positives']} false positives in {RUNS}"


def test_pvalues_are_not_degenerate(aa):
    p = aa.pvalues
    assert p["seed"].nunique() == RUNS
    # under H0 about half of the p-values exceed 0.5 (a sanity check on their spread)
    for _, g in p.groupby(["metric", "method"]):
        assert 0.35 < (g["p_value"] > 0.5).mean() < 0.65
