"""compare_family: simultaneous coverage, decisions == CI excludes 0 == p_adj <= alpha,
widths between the unadjusted and the Bonferroni intervals; compare_secondary; identical_columns."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from cs_lab.errors import ConfigError, DataError
from cs_lab.eval.stats import (FAMILY_COLUMNS, SECONDARY_COLUMNS, compare_family, compare_secondary,
                               identical_columns, max_t_intervals)
from cs_lab.eval.stats.bootstrap import resample_ratios

MODELS = ("base", "m1", "m2", "m3", "m4")
FAMILY = [(m, "base") for m in MODELS[1:]]


def null_models(seed: int, n_customers: int = 100, shifts: dict | None = None, shared_sd: float = 0.3):
    """Per-query values of 5 models on clustered queries; every model has the base's mean (+ shift).

    Customers have 1-5 queries and a large customer effect; every model shares the
    base's query noise plus its own customer and query noise, so the four
    comparisons against the base are positively correlated and clustered.
    """
    rng = np.random.default_rng(seed)
    sizes = rng.integers(1, 6, n_customers)
    customer = np.repeat(np.arange(n_customers), sizes)
    n = customer.size
    base = rng.normal(0, 1, n_customers)[customer] + rng.normal(0, 0.5, n)
    shared = rng.normal(0, shared_sd, n_customers)[customer]  # common to every model vs the base
    frames = {"base": pd.DataFrame({"m@10": base})}
    for m in MODELS[1:]:
        own = rng.normal(0, 0.3, n_customers)[customer] + rng.normal(0, 0.3, n)
        frames[m] = pd.DataFrame({"m@10": base + shared + own + (shifts or {}).get(m, 0.0)})
    return frames, customer


def test_simultaneous_coverage_on_null_data():
    covered = covered_unadjusted = 0
    sims = 300
    for seed in range(sims):
        frames, customer = null_models(seed)
        table = compare_family(frames, "m@10", FAMILY, clusters=customer, n_boot=1000, seed=seed)
        covered += bool(((table.ci_low <= 0) & (table.ci_high >= 0)).all())
        sec = compare_secondary(frames, ["m@10"], FAMILY, clusters=customer, n_boot=1000, seed=seed)
        covered_unadjusted += bool(((sec.ci_low <= 0) & (sec.ci_high >= 0)).all())
    assert 0.92 <= covered / sims <= 0.98, covered / sims
    assert covered_unadjusted / sims < 0.9, covered_unadjusted / sims  # the family needs the adjustment


def test_max_t_is_between_unadjusted_and_bonferroni():
    # strongly correlated comparisons (shared part sd 1 vs own ~0.4): max-T well below Bonferroni
    frames, customer = null_models(11, n_customers=300, shifts={"m1": 0.5}, shared_sd=1.0)
    table = compare_family(frames, "m@10", FAMILY, clusters=customer, n_boot=4000)
    unadj = compare_secondary(frames, ["m@10"], FAMILY, clusters=customer, n_boot=4000)
    bonf = compare_secondary(frames, ["m@10"], FAMILY, clusters=customer, n_boot=4000, ci=1 - 0.05 / 4)
    w, wu, wb = (t.ci_high - t.ci_low for t in (table, unadj, bonf))
    assert (w > 1.1 * wu).all(), (w, wu)
    assert (w < 0.95 * wb).all(), (w, wb)
    assert table.significant.tolist() == [True, False, False, False]
    assert table["diff"].tolist() == pytest.approx(unadj["diff"].tolist())
    assert list(table.columns) == list(FAMILY_COLUMNS) and (table.family_size == 4).all()
    assert (table.method == "max-T cluster bootstrap").all()


def test_critical_value_against_normal_theory():
    # 4 independent normal estimates: q ~ the Sidak value (just below Bonferroni), > unadjusted
    rng = np.random.default_rng(0)
    reps = rng.normal(0.0, [1.0, 2.0, 0.5, 3.0], size=(20000, 4))
    res = max_t_intervals(reps, np.zeros(4), alpha=0.05)
    sidak = stats.norm.ppf(1 - (1 - 0.95 ** 0.25) / 2)
    bonferroni = stats.norm.ppf(1 - 0.05 / 8)
    assert res.critical == pytest.approx(sidak, abs=0.05)
    assert stats.norm.ppf(0.975) < res.critical <= bonferroni + 0.03
    # correlation 0.9 between the estimates: q far below Bonferroni
    common = rng.normal(size=(20000, 1))
    corr = (0.9 ** 0.5 * common + 0.1 ** 0.5 * rng.normal(size=(20000, 4))) * [1.0, 2.0, 0.5, 3.0]
    q_corr = max_t_intervals(corr, np.zeros(4)).critical
    assert stats.norm.ppf(0.975) + 0.1 < q_corr < bonferroni - 0.2
    # one estimate: the ordinary two-sided 1.96
    one = max_t_intervals(reps[:, :1], np.zeros(1), alpha=0.05)
    assert one.critical == pytest.approx(1.96, abs=0.04)


@pytest.mark.parametrize("n_boot", [19, 20, 37, 200])
def test_decisions_equal_ci_excludes_zero_and_p_adj(n_boot):
    rng = np.random.default_rng(n_boot)
    disagreements = 0
    for case in range(150):
        n = int(rng.integers(3, 25))
        # discrete 0/1 metrics with few queries: many exact ties between replicates
        frames = {m: pd.DataFrame({"hit@10": (rng.random(n) < p).astype(float)})
                  for m, p in zip("abcd", rng.uniform(0.1, 0.9, 4))}
        if case % 5 == 0:
            frames["d"] = frames["a"].copy()           # identical models: se may be 0
        alpha = float(rng.choice([0.05, 0.1, 0.3, 0.5]))
        clusters = rng.integers(0, max(2, n // 2), n) if case % 2 else None
        table = compare_family(frames, "hit@10", [("b", "a"), ("c", "a"), ("d", "a"), ("c", "b")],
                               clusters=clusters, alpha=alpha, n_boot=n_boot, seed=case)
        excludes = (table.ci_low > 0) | (table.ci_high < 0)
        assert (table.significant == excludes).all()
        disagreements += int((table.significant != (table.p_adj <= alpha)).sum())
    assert disagreements == 0


def test_p_adj_is_the_share_of_max_t_replicates_beyond_the_observed():
    rng = np.random.default_rng(2)
    reps = rng.normal(0, 1, (500, 3)) + np.array([0.0, 0.0, 0.0])
    est = np.array([2.5, 0.3, -1.0])
    res = max_t_intervals(reps, est, alpha=0.05)
    se = reps.std(axis=0, ddof=1)
    t_star = (np.abs(reps - est) / se).max(axis=1)
    want = [(t_star >= abs(e) / s).mean() for e, s in zip(est, se)]
    assert res.p_adj == pytest.approx(want)
    assert res.critical == pytest.approx(np.sort(t_star)[int(np.ceil(0.95 * 500)) - 1])
    np.testing.assert_allclose(res.low, est - res.critical * se)


def test_shared_draws_make_a_single_pair_family_the_ordinary_interval():
    frames, customer = null_models(5, shifts={"m1": 0.3})
    single = compare_family(frames, "m@10", [("m1", "base")], clusters=customer, n_boot=4000)
    sec = compare_secondary(frames, ["m@10"], [("m1", "base")], clusters=customer, n_boot=4000)
    width = (single.ci_high - single.ci_low).iloc[0]
    assert width == pytest.approx((sec.ci_high - sec.ci_low).iloc[0], rel=0.1)
    assert single.p_adj.iloc[0] < 0.05 and single.significant.iloc[0]


def test_clusters_as_series_and_query_order():
    frames, customer = null_models(8)
    ids = pd.Index([f"q{i}" for i in range(len(customer))], name="query")
    frames = {m: f.set_axis(ids) for m, f in frames.items()}
    labels = pd.Series(customer, index=ids)
    want = compare_family(frames, "m@10", FAMILY, clusters=customer)
    shuffled = {m: (f.iloc[::-1] if m != "base" else f) for m, f in frames.items()}
    got = compare_family(shuffled, "m@10", FAMILY, clusters=labels.iloc[::-1])
    pd.testing.assert_frame_equal(got, want)


def test_nan_pairs_and_errors():
    frames, customer = null_models(9, n_customers=30)
    frames["m4"] = frames["m4"].assign(**{"m@10": np.nan})
    table = compare_family(frames, "m@10", FAMILY, clusters=customer, n_boot=200)
    assert table.n.iloc[3] == 0 and np.isnan(table.ci_low.iloc[3]) and not table.significant.iloc[3]
    assert (table.family_size == 3).all()
    with pytest.raises(ConfigError, match="unknown model"):
        compare_family(frames, "m@10", [("zz", "base")])
    with pytest.raises(ConfigError, match="at least one"):
        compare_family(frames, "m@10", [])
    with pytest.raises(ConfigError, match="twice"):
        compare_family(frames, "m@10", [("m1", "base"), ("m1", "base")])
    with pytest.raises(DataError, match="no per-query column"):
        compare_family(frames, "ndcg@10", FAMILY)
    with pytest.raises(DataError, match="labels for"):
        compare_family(frames, "m@10", FAMILY, clusters=customer[:-1])
    with pytest.raises(DataError, match="different queries"):
        compare_family({**frames, "m1": frames["m1"].iloc[1:]}, "m@10", FAMILY)


def test_secondary_layout():
    frames, customer = null_models(3, n_customers=40)
    frames = {m: f.assign(other=f["m@10"] * 2) for m, f in frames.items()}
    sec = compare_secondary(frames, ["m@10", "other"], FAMILY[:2], n_boot=300)
    assert list(sec.columns) == list(SECONDARY_COLUMNS) and "significant" not in sec
    assert (sec.family == "secondary (unadjusted)").all() and (sec.method == "percentile bootstrap").all()
    assert sec.metric.tolist() == ["m@10", "other", "m@10", "other"]
    assert sec["diff"].iloc[1] == pytest.approx(2 * sec["diff"].iloc[0])


def test_resample_ratios_is_used_jointly():
    # the family's replicates are one joint draw: pair columns stay correlated
    sums = np.array([[1.0, 1.0], [-1.0, -1.0], [2.0, 2.1]])
    reps = resample_ratios(sums, np.ones_like(sums), n_boot=400, seed=0)
    assert np.corrcoef(reps.T)[0, 1] > 0.99


def test_identical_columns():
    rng = np.random.default_rng(0)
    frames = {}
    for m in ("a", "b"):
        hits = (rng.random(50) < 0.4).astype(float)
        hits[3] = np.nan
        frames[m] = pd.DataFrame({"recall@10": hits, "hit_rate@10": hits.copy(), "ndcg@10": hits * 0.7,
                                  "precision@1": hits.copy()})
    frames["b"].loc[5, "precision@1"] = 1 - frames["b"].loc[5, "precision@1"]  # equal for model a only
    cols = ["recall@10", "ndcg@10", "hit_rate@10", "precision@1"]
    assert identical_columns(frames, cols) == {"hit_rate@10": "recall@10"}
    assert identical_columns(frames, ["hit_rate@10", "recall@10"]) == {"recall@10": "hit_rate@10"}
    assert identical_columns({"a": frames["a"]}, cols) == {"hit_rate@10": "recall@10",
                                                           "precision@1": "recall@10"}
    with pytest.raises(DataError, match="no per-query column"):
        identical_columns(frames, ["map@10"])


def test_secondary_rows_equal_the_single_paired_cluster_bootstrap():
    from cs_lab.eval.stats import paired_bootstrap_ci

    frames, customer = null_models(4, n_customers=50, shifts={"m2": 0.1})
    sec = compare_secondary(frames, ["m@10"], FAMILY, clusters=customer, n_boot=700, seed=9)
    for row in sec.itertuples():
        one = paired_bootstrap_ci(frames[row.model_a]["m@10"].to_numpy(), frames["base"]["m@10"].to_numpy(),
                                  n_boot=700, seed=9, clusters=customer)
        assert (row.diff, row.ci_low, row.ci_high) == pytest.approx(tuple(one), abs=1e-12)


def test_rendering():
    from cs_lab.eval.stats import render_family, render_secondary

    frames, customer = null_models(11, n_customers=200, shifts={"m1": 0.5}, shared_sd=1.0)
    text = render_family(compare_family(frames, "m@10", FAMILY, clusters=customer, n_boot=300))
    lines = text.splitlines()
    assert lines[0].startswith("| model A") and "p (max-T)" in lines[0]
    assert lines[2].split("|")[-2].strip() == "*" and lines[3].split("|")[-2].strip() == ""
    assert "Family of 4 comparison(s); max-T cluster bootstrap" in text
    sec = render_secondary(compare_secondary(frames, ["m@10"], FAMILY[:1], n_boot=100), fmt="text")
    assert "unadjusted" in sec and "sig" not in sec
