import numpy as np
import pytest
import statsmodels.api as sm

from cs_lab.errors import ConfigError
from cs_lab.simulate.exposure.fixed_effects import absorb, fe_ols
from tests.simulate.exposure._synthetic import make_panel


def _fit(p, **kw):
    return fe_ols(p.y, p.d[:, None], [p.pair, p.store_week], cluster=p.product, weights=p.w, names=["d"], **kw)


def _dummies(codes):
    u, inv = np.unique(codes, return_inverse=True)
    return np.eye(len(u))[inv]


def _store_week_dummies(p, n_weeks):
    """Store-week dummies without each store's first week (the pair dummies span the stores)."""
    keep = p.store_week % n_weeks != 0
    codes = np.where(keep, p.store_week, -1)
    return _dummies(codes)[:, 1:]


@pytest.mark.parametrize("weighted", [False, True])
def test_matches_dummy_variable_regression(weighted):
    """Same coefficient as least squares with every dummy (statsmodels), and the same clustered
    sandwich (statsmodels without its small-sample factor, times G/(G-1))."""
    p = make_panel(0, n_products=25, n_stores=3, n_weeks=8, weighted=weighted)
    fit = _fit(p, tol=1e-13)
    X = np.column_stack([p.d, _dummies(p.pair), _store_week_dummies(p, 8)])
    ref = sm.WLS(p.y, X, weights=p.w).fit(cov_type="cluster",
                                          cov_kwds={"groups": p.product, "use_correction": False})
    assert fit.beta[0] == pytest.approx(ref.params[0], abs=1e-9)
    g = fit.n_clusters
    assert fit.se[0] == pytest.approx(np.sqrt(ref.cov_params()[0, 0] * g / (g - 1)), rel=1e-6)


def test_pooled_estimate_is_biased_and_fixed_effects_recover_truth():
    p = make_panel(1, n_products=300)
    pooled = sm.OLS(p.y, sm.add_constant(p.d)).fit().params[1]
    fit = _fit(p)
    b, se = fit.beta[0], fit.se[0]
    assert pooled > p.beta + 0.05          # confounding planted: high-level pairs and weeks are treated more
    assert abs(b - p.beta) < 2.5 * se
    assert se < 0.01


def test_one_grouping_is_the_within_transformation():
    rng = np.random.default_rng(3)
    g = rng.integers(0, 7, 200)
    x = rng.normal(size=(200, 2))
    z, it = absorb(x, [g])
    assert it == 1
    for k in range(7):
        np.testing.assert_allclose(z[g == k], x[g == k] - x[g == k].mean(axis=0), atol=1e-12)


def test_unbalanced_two_way_needs_more_than_one_sweep_and_converges():
    p = make_panel(2, drop=0.3)
    z, it = absorb(np.column_stack([p.y, p.d]), [p.pair, p.store_week], tol=1e-12)
    assert it > 1
    for codes in (p.pair, p.store_week):   # every group mean is zero after absorbing
        sums = np.bincount(np.unique(codes, return_inverse=True)[1], weights=z[:, 0])
        assert np.abs(sums).max() < 1e-9


def test_clustered_se_is_right_over_seeds():
    """The CR1 SE matches the spread of the estimates across seeds; a 95% interval covers the truth
    about 95% of the time. The iid SE (errors correlated within product) is too small."""
    est, ses, iid = [], [], []
    for seed in range(150):
        p = make_panel(100 + seed, n_products=60, n_stores=4, n_weeks=10, product_shock_sd=0.08)
        fit = _fit(p)
        est.append(fit.beta[0])
        ses.append(fit.se[0])
        iid.append(fe_ols(p.y, p.d[:, None], [p.pair, p.store_week], cluster=np.arange(len(p.y))).se[0])
    est, ses = np.array(est), np.array(ses)
    sd = est.std(ddof=1)
    assert 0.8 < ses.mean() / sd < 1.25
    cover = np.mean(np.abs(est - 0.05) <= 1.96 * ses)
    assert 0.89 <= cover <= 0.99
    assert np.mean(iid) < 0.8 * sd, (np.mean(iid), sd)


def test_errors_are_named():
    with pytest.raises(ConfigError, match="no variation"):
        fe_ols(np.arange(6.0), np.repeat([0.0, 1.0], 3)[:, None], [np.repeat([0, 1], 3)], cluster=np.arange(6))
    with pytest.raises(ConfigError, match="grouping #0 has 5 entries"):
        absorb(np.zeros((6, 1)), [np.zeros(5, int)])
    with pytest.raises(ConfigError, match="finite"):
        fe_ols(np.array([1.0, np.nan]), np.ones((2, 1)), [], cluster=np.arange(2))
    with pytest.raises(ConfigError, match="did not converge"):
        p = make_panel(2, drop=0.3)
        absorb(np.column_stack([p.y, p.d]), [p.pair, p.store_week], tol=1e-15, max_iter=2)


def test_group_and_cluster_labels_do_not_matter():
    """Dense codes, sparse codes (gaps: empty clusters must not count in G/(G-1)) and shuffled labels
    give the same fit."""
    p = make_panel(4, n_products=30)
    a = _fit(p)
    perm = np.random.default_rng(0).permutation(10_000)
    for cluster in (p.product * 3 + 1, p.product * 5000 + 11):   # gaps (dense path), far apart (sorted path)
        b = fe_ols(p.y, p.d[:, None], [perm[p.pair] * 3 + 7, -p.store_week], cluster=cluster,
                   weights=p.w, names=["d"])
        assert a.n_clusters == b.n_clusters == len(np.unique(p.product))
        assert b.beta[0] == pytest.approx(a.beta[0], rel=1e-9)
        assert b.se[0] == pytest.approx(a.se[0], rel=1e-9)
