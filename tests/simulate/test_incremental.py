"""Issue 15: incremental lift (an organic model), rate uncertainty, customer-level assignment,
no p-value for quantities fixed by construction, the organic model never sees the test window."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from cs_lab.data import schema as S
from cs_lab.simulate import SessionSet, SimulationConfig, simulate
from cs_lab.simulate.engine import OrganicLines
from cs_lab.simulate.organic import OrganicConfig, OrganicModel
from cs_lab.simulate.priors import Prior, PriorSet
from cs_lab.simulate.rates import acceptance_rates, fixed_rates
from cs_lab.simulate.synthetic import synthetic_policy
from tests.simulate.organic._history import by_weeks, habit_lines

QUIET = dict(n_bootstrap=0, ci_method="analytic", counterfactual=False)


@pytest.fixture(scope="module")
def habits():
    """History (weeks 0-9), a model fitted on weeks 0-7 -> 8-9, and test sessions (week 10) each
    with two hidden items: the customer's most habitual item and an item new to them."""
    lines = habit_lines(n_customers=400, weeks=11, seed=3)
    hist = by_weeks(lines, 0, 10)
    model = OrganicModel(OrganicConfig(seed=0)).fit(by_weeks(lines, 0, 8), by_weeks(lines, 8, 10))
    top = hist.groupby(S.CUSTOMER)[S.ITEM].agg(lambda s: s.value_counts().index[0])
    bought = hist.groupby(S.CUSTOMER)[S.ITEM].agg(set)
    custs = top.index.to_numpy()
    new = np.array([next(f"I{(k * 7 + j) % 200}" for j in range(200) if f"I{(k * 7 + j) % 200}" not in bought[c])
                    for k, c in enumerate(custs)], dtype=object)
    q = np.array([f"Q{c}" for c in custs], dtype=object)
    sessions = pd.DataFrame({"query_id": q, S.CUSTOMER: custs, "cart_value": 10.0})
    truth = pd.DataFrame({"query_id": np.r_[q, q], S.ITEM: np.r_[top.to_numpy(), new],
                          S.QUANTITY: 1.0, S.UNIT_PRICE: 2.0})
    ss = SessionSet.from_frames(sessions, truth)
    ls = ss.line_session
    t = np.full(len(ls), np.datetime64("2024-03-12"))
    X = model.design(hist, ss.customers[ls], ss.items.to_numpy()[ss.line_item], t)
    p = model.predict(X)
    repeat_item, new_item = top.to_numpy(), new
    return SimpleNamespace(ss=ss, p=p, X=X, model=model, repeat=repeat_item, new=new_item, q=q)


def _one_slot(items) -> np.ndarray:
    recs = np.full((len(items), 5), None, dtype=object)
    recs[:, 0] = items
    return recs


def test_equal_ndcg_more_repeats_less_incremental_lift(habits):
    """Both arms put one hidden item in slot 1 of every session (identical NDCG@5 = 1/1.63); the arm
    showing the habitual (repeat) item gets less incremental lift: it would have been bought anyway."""
    assert habits.p[habits.X[:, 0] > 0].mean() > 5 * habits.p[habits.X[:, 0] == 0].mean()
    cfg = SimulationConfig(take_rate=0.5, counterfactual=True, n_bootstrap=0, ci_method="analytic",
                           assignment="session", seed=1)
    arms = {"control": None, "repeats": _one_slot(habits.repeat), "news": _one_slot(habits.new)}
    res = simulate(habits.ss, None, arms, cfg, organic=OrganicLines(habits.p))
    cf = res.counterfactual.set_index(["arm", "metric"])["abs_lift"]
    assert cf[("news", "incremental_conversion")] > cf[("repeats", "incremental_conversion")] + 0.1
    # offer conversion (clicks on the offer) is the same: only the incremental part differs
    assert abs(cf[("news", "offer_conversion")] - cf[("repeats", "offer_conversion")]) < 0.08
    # with a constant organic rate (the old model) the two arms are the same in expectation
    flat = simulate(habits.ss, None, arms, cfg.model_copy(update={"organic_rate": float(habits.p.mean())}))
    cf0 = flat.counterfactual.set_index(["arm", "metric"])["abs_lift"]
    assert abs(cf0[("news", "incremental_conversion")] - cf0[("repeats", "incremental_conversion")]) < 0.08


def test_incremental_excludes_organic(habits):
    cfg = SimulationConfig(take_rate=1.0, examination="uniform", assignment="session", rate_draws=20, **QUIET)
    arms = {"control": None, "all": _one_slot(habits.repeat)}
    ones = np.ones(len(habits.p))
    every = simulate(habits.ss, None, arms, cfg, organic=OrganicLines(ones, np.ones((len(ones), 20))))
    per = every.per_session
    shown = per[per["arm"] == "all"]
    assert (shown["n_accepted"] == 1).all() and (shown["n_incremental"] == 0).all()
    assert not shown["incremental_converted"].any()
    # the parameter-bootstrap draws too: nothing is incremental, every offer is accepted
    d = every.draws.arms.set_index(["arm", "metric"])
    assert d.loc[("all", "incremental_conversion"), "ci_high"] == 0
    assert d.loc[("all", "offer_conversion"), "ci_low"] == 1
    none = simulate(habits.ss, None, arms, cfg, organic=OrganicLines(np.zeros(len(habits.p))))
    shown = none.per_session[none.per_session["arm"] == "all"]
    assert (shown["n_incremental"] == 1).all() and shown["incremental_converted"].all()


def _priors(se_scale: float, take_scale: float | None = None) -> PriorSet:
    take_scale = se_scale if take_scale is None else take_scale
    return PriorSet([
        Prior(name="slot_examination.1", value=1.0, ci_low=1.0, ci_high=1.0, distribution="fixed", source="t"),
        Prior(name="slot_examination.2", value=0.6, se=0.1 * se_scale, ci_low=0.4, ci_high=0.8,
              distribution="lognormal", source="t"),
        Prior(name="slot_examination.3", value=0.45, se=0.1 * se_scale, ci_low=0.3, ci_high=0.6,
              distribution="lognormal", source="t"),
        Prior(name="coupon.uptake", value=0.3, se=0.08 * take_scale, ci_low=0.15, ci_high=0.45, distribution="beta",
              source="t"),
        Prior(name="assumption.take_transport", value=1.0, se=0.3 * take_scale, ci_low=0.5, ci_high=2.0,
              distribution="lognormal", source="t", assumption=True)])


def test_rate_draws_widen_intervals(syn):
    arms = {"control": None, "A": synthetic_policy(syn, 0.5, seed=1)}
    cfg = SimulationConfig(rates="priors", rate_draws=300, assignment="customer", **QUIET)
    said = []
    wide = simulate(syn.sessions, syn.truth, arms, cfg, rates=acceptance_rates(5, 300, 0, _priors(1.0), say=said.append))
    assert said == []                       # every prior was given: no fallback
    fixed = simulate(syn.sessions, syn.truth, arms, cfg,
                     rates=acceptance_rates(5, 300, 0, _priors(0.0), say=said.append))

    def width(res):
        r = res.draws.arms.set_index(["arm", "metric"]).loc[("A", "incremental_conversion")]
        return r["ci_high"] - r["ci_low"]

    assert width(wide) > 1.5 * width(fixed)
    # each source on its own widens them too: the take rate (coupon uptake x transport) ...
    take_only = simulate(syn.sessions, syn.truth, arms, cfg, rates=acceptance_rates(5, 300, 0, _priors(0.0, 1.0)))
    assert width(take_only) > 1.5 * width(fixed)
    # ... and the examination curve
    exam_only = simulate(syn.sessions, syn.truth, arms, cfg, rates=acceptance_rates(5, 300, 0, _priors(1.0, 0.0)))
    assert width(exam_only) > 1.1 * width(fixed)
    # the A/B headline rows carry the draws' intervals and no p-value
    head = wide.headline()
    assert set(head["method"]) == {"bootstrap+rates"} and head["p_value"].isna().all()
    rank = wide.draws.ranking.set_index("metric")
    assert rank.loc["incremental_conversion", "ranking"] == "A > control"
    assert rank.loc["incremental_conversion", "p_best"]["A"] > 0.99
    pairs = wide.draws.pairs.set_index(["metric", "arm_a", "arm_b"])
    assert pairs.loc[("incremental_conversion", "control", "A"), "p_b_beats_a"] > 0.99


def test_missing_prior_falls_back_and_says_so():
    said = []
    ps = PriorSet([p for p in _priors(1.0) if p.name != "coupon.uptake"])
    r = acceptance_rates(5, 10, 0, ps, say=said.append)
    assert len(said) == 1 and "coupon.uptake" in said[0] and "FALLBACK" in said[0]
    src = r.sources.set_index("name")
    assert src.loc["coupon.uptake", "assumption"] and "FALLBACK" in src.loc["coupon.uptake", "source"]
    assert r.exam_draws.shape == (10, 5) and (r.exam_draws[:, 3] <= r.exam_draws[:, 2]).all()


def test_customer_assignment_keeps_households_in_one_arm(syn):
    arms = {"control": None, "A": synthetic_policy(syn, 0.5, seed=1), "B": synthetic_policy(syn, 0.3, seed=2)}
    res = simulate(syn.sessions, syn.truth, arms, SimulationConfig(**QUIET))
    per = res.per_session
    assert per.groupby("customer_id", observed=True)["arm"].nunique().max() == 1
    assert per["arm"].nunique() == 3
    by_session = simulate(syn.sessions, syn.truth, arms, SimulationConfig(assignment="session", **QUIET))
    assert by_session.per_session.groupby("customer_id", observed=True)["arm"].nunique().max() > 1
    assert set(res.lift["method"]) == {"cluster-z"}


def test_no_p_value_for_quantities_fixed_by_construction(syn):
    from cs_lab.experiment.format import format_simulation

    arms = {"control": None, "A": synthetic_policy(syn, 0.5, seed=1), "B": synthetic_policy(syn, 0.3, seed=2)}
    res = simulate(syn.sessions, syn.truth, arms, SimulationConfig(n_bootstrap=50, counterfactual=True))
    lift = res.lift
    fixed = lift["metric"].isin(["offer_conversion", "incremental_conversion", "incremental_revenue"])
    assert lift.loc[fixed, "p_value"].isna().all() and lift.loc[~fixed, "p_value"].notna().all()
    assert res.counterfactual["p_value"].isna().all()
    text = format_simulation(res)
    ab_part = text.split("A/B lift vs control")[1].split("Paired counterfactual")[0]
    fixed_lines = [ln for ln in ab_part.splitlines() if "offer_conversion" in ln or "incremental_" in ln]
    assert len(fixed_lines) == 6 and all("p=" not in ln and "by construction" in ln for ln in fixed_lines)
    assert any("p=" in ln for ln in ab_part.splitlines() if "addon_revenue" in ln)
    cf_part = text.split("Paired counterfactual")[1]
    assert "p=" not in cf_part and ">= 0 by construction" in cf_part
    assert "0 by construction" in text
    from cs_lab.experiment.format import READ_TOGETHER
    assert text.rstrip().endswith(READ_TOGETHER)           # how to read the two views, beside them
    # B vs A (both policies): the counterfactual keeps its p-values
    res2 = simulate(syn.sessions, syn.truth, {"control": synthetic_policy(syn, 0.2, seed=3), "A": arms["A"]},
                    SimulationConfig(n_bootstrap=0, ci_method="analytic"))
    assert res2.counterfactual["p_value"].notna().all() and res2.lift["p_value"].notna().all()


def test_organic_model_never_sees_test_truth(habits):
    """Replacing the test window's lines (and so the hidden items) with noise leaves the fitted model
    unchanged: the experiment fits it on the validation split only."""
    from cs_lab.experiment.simulation import SimulationSpec, organic_lines

    lines = habit_lines(n_customers=200, weeks=12, seed=5)
    train, test = by_weeks(lines, 0, 10), by_weeks(lines, 10, 12)

    def task(test_lines):
        first = test_lines.groupby(S.BASKET, observed=True).first().reset_index()
        queries = pd.DataFrame({"query_id": "q" + first[S.BASKET], S.CUSTOMER: first[S.CUSTOMER],
                                S.BASKET: first[S.BASKET]})
        return SimpleNamespace(inner=SimpleNamespace(train=by_weeks(lines, 0, 8), test=by_weeks(lines, 8, 10)),
                               split=SimpleNamespace(train=train, test=test_lines),
                               final=SimpleNamespace(eval=SimpleNamespace(holdout=SimpleNamespace(queries=queries))))

    def run(test_lines):
        t = task(test_lines)
        q = t.final.eval.holdout.queries
        sessions = q[["query_id", S.CUSTOMER]].assign(cart_value=1.0)
        truth = (test_lines.merge(q[["query_id", S.BASKET]], on=S.BASKET)[["query_id", S.ITEM]]
                 .drop_duplicates().assign(quantity=1.0, unit_price=1.0))
        return organic_lines(SimulationSpec().organic, t, sessions, truth, SimulationConfig(**QUIET))

    rng = np.random.default_rng(0)
    noise = test.copy()
    noise[S.ITEM] = "I" + pd.Series(rng.integers(0, 200, len(noise))).astype(str)
    noise[S.CUSTOMER] = "C" + pd.Series(rng.integers(0, 200, len(noise))).astype(str)
    a, b = run(test), run(noise)
    assert a[1]["organic"]["coefficients"] == b[1]["organic"]["coefficients"]
    assert a[1]["organic"]["fit"] == b[1]["organic"]["fit"]
    assert not np.array_equal(a[0].p[:50], b[0].p[:50])   # the predictions did use the (new) test lines


def test_config_rejects_fixed_rates_with_priors():
    from cs_lab.errors import ConfigError
    from cs_lab.experiment.simulation import SimulationSpec

    with pytest.raises(ConfigError, match=r"take_rate.*rates='priors'"):
        SimulationConfig.from_dict({"rates": "priors", "take_rate": 0.3})
    with pytest.raises(ConfigError, match="simulation.assignment"):
        SimulationConfig.from_dict({"assignment": "basket"})
    with pytest.raises(ConfigError, match="simulation.organic.max_visit"):
        SimulationSpec.parse({"organic": {"max_visit": 10}})
    with pytest.raises(ConfigError, match="exclude each other"):
        SimulationSpec.parse({"calibrate": "history", "target_control_conversion": 0.1})
    spec = SimulationSpec.parse({"rates": "priors", "rate_draws": 50, "organic": {"max_visits": 200}})
    assert spec.config().rate_draws == 50 and spec.organic.max_visits == 200


def test_prior_files_by_name_merge_with_the_shipped_assumptions(tmp_path):
    """The OBD and Complete Journey prior files (written by other tools) merge with assumptions.json:
    no name clashes, no fallback, and their values drive the rates."""
    from cs_lab.simulate.priors import load_priors, save_priors
    from cs_lab.simulate.priors.schema import DATA_DIR

    pri = {p.name: p for p in _priors(1.0)}
    obd = save_priors([pri[f"slot_examination.{k}"] for k in (1, 2, 3)], tmp_path / "open_bandit.json")
    cj = save_priors([pri["coupon.uptake"],
                      Prior(name="exposure.display_lift", value=1.3, se=0.05, ci_low=1.2, ci_high=1.4,
                            distribution="lognormal", source="t")], tmp_path / "complete_journey.json")
    ps = load_priors(obd, cj, DATA_DIR / "assumptions.json")
    said = []
    r = acceptance_rates(5, 50, 0, ps, say=said.append)
    assert said == []
    assert r.take == pytest.approx(0.3) and r.exam[1] == pytest.approx(0.6)
    assert not r.sources.set_index("name").loc["coupon.uptake", "assumption"]
    assert r.sources.set_index("name").loc["assumption.take_transport", "assumption"]


def test_no_relative_interval_against_a_control_fixed_at_zero(syn):
    """Offer conversion under a no-offer control is 0 in every draw: the rate-draw rows carry an
    absolute interval and no relative one (a ratio to 0 is not a lift); conversion keeps both."""
    arms = {"control": None, "A": synthetic_policy(syn, 0.5, seed=1)}
    cfg = SimulationConfig(rates="priors", rate_draws=50, assignment="customer", **QUIET)
    res = simulate(syn.sessions, syn.truth, arms, cfg, rates=acceptance_rates(5, 50, 0, _priors(1.0)))
    ab = res.draws.ab.set_index("metric")
    assert ab.loc["offer_conversion", ["rel_ci_low", "rel_ci_high"]].isna().all()
    assert np.isfinite(ab.loc["offer_conversion", ["ci_low", "ci_high"]].to_numpy(float)).all()
    assert np.isfinite(ab.loc["conversion", ["rel_ci_low", "rel_ci_high"]].to_numpy(float)).all()
