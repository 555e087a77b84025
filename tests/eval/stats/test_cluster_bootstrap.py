"""Cluster bootstrap: wider than the i.i.d. one when customers repeat, equal when they do not;
percentile CI width against the normal theory; paired CI against scipy.stats.bootstrap."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from cs_lab.errors import DataError
from cs_lab.eval.stats import bootstrap_ci, paired_bootstrap_ci
from cs_lab.eval.stats.bootstrap import cluster_bootstrap_means, cluster_codes, resample_ratios


def clustered(seed: int, n_customers: int = 80, per_customer: int = 6) -> tuple[np.ndarray, np.ndarray]:
    """Values with a large between-customer variance (sd 1) and small within (sd 0.2)."""
    rng = np.random.default_rng(seed)
    customer = np.repeat(np.arange(n_customers), per_customer)
    values = rng.normal(0.0, 1.0, n_customers)[customer] + rng.normal(0.0, 0.2, customer.size)
    order = rng.permutation(customer.size)  # queries of a customer are not contiguous
    return values[order], customer[order]


def width(interval) -> float:
    return interval.high - interval.low


def test_cluster_ci_is_wider_when_customers_repeat():
    for seed in range(3):
        x, customer = clustered(seed)
        iid = bootstrap_ci(x, n_boot=2000, seed=seed)
        cl = bootstrap_ci(x, n_boot=2000, seed=seed, clusters=customer)
        assert cl.estimate == pytest.approx(iid.estimate)
        # design effect 1 + (m - 1) * icc = 1 + 5 * 0.96 ~ 5.8 -> width ratio ~ 2.4
        assert width(cl) > 1.8 * width(iid), (width(cl), width(iid))


def test_one_query_per_cluster_matches_iid():
    x = np.random.default_rng(1).exponential(1.0, 400)
    iid = bootstrap_ci(x, n_boot=3000, seed=5)
    # distinct labels, and NaN / None labels (each its own cluster): the same resampling
    for labels in (np.arange(400) * 7 + 3, [None] * 400, np.full(400, np.nan)):
        cl = bootstrap_ci(x, n_boot=3000, seed=5, clusters=labels)
        assert cl.low == pytest.approx(iid.low, abs=1e-12) and cl.high == pytest.approx(iid.high, abs=1e-12)
    other_seed = bootstrap_ci(x, n_boot=3000, seed=6, clusters=np.arange(400))
    assert width(other_seed) == pytest.approx(width(iid), rel=0.08)


def test_statistic_is_the_query_mean_not_the_mean_of_cluster_means():
    # 10 singleton clusters valued 1 and 10 clusters of 19 queries valued 0: query mean 0.05,
    # mean of cluster means 0.5
    x = np.concatenate([np.ones(10), np.zeros(190)])
    labels = np.concatenate([np.arange(10), np.repeat(np.arange(10, 20), 19)])
    reps = cluster_bootstrap_means(x, labels, n_boot=2000, seed=0)
    assert abs(reps.mean() - 0.05) < 0.01
    ci = bootstrap_ci(x, clusters=labels)
    assert ci.estimate == 0.05 and ci.low < 0.05 < ci.high < 0.2


def test_percentile_width_matches_normal_theory():
    x = np.random.default_rng(2).normal(3.0, 2.0, 2000)
    ci = bootstrap_ci(x, n_boot=6000, seed=0)
    se = x.std(ddof=1) / np.sqrt(x.size)
    assert width(ci) == pytest.approx(2 * 1.959964 * se, rel=0.05)


def test_paired_ci_agrees_with_scipy():
    rng = np.random.default_rng(4)
    base = rng.exponential(1.0, 300)
    a, b = base + rng.normal(0.1, 0.5, 300), base + rng.normal(0.0, 0.5, 300)
    ours = paired_bootstrap_ci(a, b, n_boot=10000, seed=0)
    ref = stats.bootstrap((a, b), lambda u, v, axis: np.mean(u - v, axis=axis), paired=True,
                          vectorized=True, n_resamples=10000, method="percentile",
                          random_state=np.random.default_rng(1)).confidence_interval
    tol = 0.05 * (ref.high - ref.low)
    assert ours.low == pytest.approx(ref.low, abs=tol) and ours.high == pytest.approx(ref.high, abs=tol)


def test_paired_cluster_ci_drops_nan_pairs_with_their_labels():
    x, customer = clustered(7, n_customers=40)
    y = x + np.random.default_rng(0).normal(0.0, 0.1, x.size)
    y[:5] = np.nan
    got = paired_bootstrap_ci(x, y, seed=2, clusters=customer)
    want = bootstrap_ci(x[5:] - y[5:], seed=2, clusters=customer[5:])
    assert got == want


def test_shared_draws_and_determinism():
    sums = np.array([[1.0, 2.0], [3.0, -1.0], [0.0, 5.0]])
    counts = np.array([[1.0, 1.0], [2.0, 2.0], [1.0, 3.0]])
    both = resample_ratios(sums, counts, n_boot=500, seed=3)
    np.testing.assert_array_equal(both[:, 1], resample_ratios(sums[:, 1], counts[:, 1], n_boot=500, seed=3))
    np.testing.assert_array_equal(both, resample_ratios(sums, counts, n_boot=500, seed=3))


def test_blocks_do_not_change_the_cluster_resampling(monkeypatch):
    import cs_lab.eval.stats.bootstrap as mod

    x, customer = clustered(3, n_customers=30)
    whole = mod.cluster_bootstrap_means(x, customer, 50, seed=1)
    monkeypatch.setattr(mod, "CHUNK_ELEMENTS", 30 * 4)
    np.testing.assert_array_equal(mod.cluster_bootstrap_means(x, customer, 50, seed=1), whole)


def test_cluster_codes_and_errors():
    np.testing.assert_array_equal(cluster_codes(["b", "a", None, "b", np.nan], 5), [0, 1, 2, 0, 3])
    with pytest.raises(DataError, match="3 labels for 4 queries"):
        bootstrap_ci(np.ones(4), clusters=[1, 2, 3])


def test_cluster_ci_agrees_with_a_plain_loop_implementation():
    """Independent check: draw customer ids with replacement, concatenate their queries, take the mean."""
    x, customer = clustered(9, n_customers=60, per_customer=3)
    x[::7] = np.nan
    ok = ~np.isnan(x)
    groups = [x[ok & (customer == c)] for c in np.unique(customer[ok])]
    rng = np.random.default_rng(123)
    means = [np.concatenate([groups[g] for g in rng.integers(0, len(groups), len(groups))]).mean()
             for _ in range(4000)]
    ref_low, ref_high = np.quantile(means, [0.025, 0.975])
    ours = bootstrap_ci(x, n_boot=4000, seed=0, clusters=customer)
    tol = 0.06 * (ref_high - ref_low)
    assert ours.low == pytest.approx(ref_low, abs=tol) and ours.high == pytest.approx(ref_high, abs=tol)
