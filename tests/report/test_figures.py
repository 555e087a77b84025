"""Every report figure: built from the tiny experiment, titled, axes labelled, renders to PNG."""

import pandas as pd
import pytest

from cs_lab.experiment.objective import direction
from cs_lab.report import figures, read_artifact, tables, tuning
from cs_lab.report.publish import to_png


def _check(fig):
    assert fig.get_suptitle() or any(ax.get_title() for ax in fig.axes)
    panels = [ax for ax in fig.axes if ax.get_visible() and ax.get_label() != "<colorbar>" and ax.has_data()]
    assert all(ax.get_xlabel() for ax in panels)
    assert not panels or any(ax.get_ylabel() for ax in panels)  # shared y axes: the first column
    assert to_png(fig)[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def built(client, runs):
    long = tables.metrics_long(runs)
    cmp = read_artifact(client, runs.comparison_id, "comparison.csv")
    sim = read_artifact(client, runs.simulation.info.run_id, "simulation.json")
    studies = tuning.studies(client, runs)
    maximize = direction(runs.objective) == "maximize"
    return {
        "leaderboard": figures.leaderboard_ci(tables.leaderboard(runs), runs.ci_metrics),
        "significance": figures.significance_heatmap(tables.pairwise(cmp, runs.objective, list(runs.models)),
                                                     runs.objective),
        "metrics_vs_k": figures.metrics_vs_k(long),
        "lift": figures.lift_plot(tables.lift_table(sim)),
        "history": figures.optuna_history(studies, runs.objective, maximize),
        "importances": figures.param_importances({m: None for m in studies}, studies),
        "tradeoff": figures.tradeoff_scatter(tables.tradeoff(long, runs.objective), runs.objective),
    }


@pytest.mark.parametrize("name", ["leaderboard", "significance", "metrics_vs_k", "lift", "history",
                                  "importances", "tradeoff"])
def test_figure(built, name):
    _check(built[name])


def test_leaderboard_draws_one_interval_per_model_and_metric(built, runs):
    fig = built["leaderboard"]
    panels = [ax for ax in fig.axes if ax.get_title() in runs.ci_metrics]
    assert len(panels) == len(runs.ci_metrics)
    assert all(len(ax.containers) == len(runs.models) for ax in panels)


def test_significance_cells_carry_differences(built, runs, client):
    """One '-' per diagonal cell and a signed difference in both cells of each tested pair (the
    declared family: each model vs each baseline); untested pairs stay blank."""
    from cs_lab.report.runs import read_artifact

    ax = built["significance"].axes[0]
    texts = [t.get_text() for t in ax.texts]
    fam = read_artifact(client, runs.comparison_id, "comparison.csv")
    tested = {frozenset(p) for p in zip(fam["model_a"], fam["model_b"])}
    assert texts.count("-") == len(runs.models)
    diffs = [t for t in texts if t != "-"]
    assert len(diffs) == 2 * len(tested) and all(t.startswith(("+", "-")) for t in diffs)
    # a star exactly where the family's simultaneous interval excludes 0
    assert sum(t.endswith("*") for t in diffs) == 2 * int(fam["significant"].sum())


def test_units_in_axis_labels():
    assert figures.metric_label("revenue@10") == "revenue@10 (currency units per cart)"
    assert "bits" in figures.metric_label("novelty@10")
    assert figures.metric_label("unknown@3") == "unknown@3"


def test_empty_inputs_give_an_explaining_figure():
    fig = figures.lift_plot(pd.DataFrame())
    assert "no simulated A/B test" in fig.axes[0].texts[0].get_text()
    fig = figures.optuna_history({}, "ndcg@10")
    assert "no model was tuned" in fig.axes[0].texts[0].get_text()
    fig = figures.param_importances({"als": pd.Series({"factors": 0.7, "reg": 0.3})})
    assert fig.axes[0].get_xlabel().startswith("importance")


def test_lift_markers_are_decided_by_the_interval_drawn():
    """Filled marker = the interval drawn excludes 0, also for interval-only rows (no p-value)."""
    row = dict(metric="conversion", method="bootstrap+rates", abs_lift=0.01, rel_lift=float("nan"),
               rel_ci_low=float("nan"), rel_ci_high=float("nan"), p_value=float("nan"), p_holm=float("nan"))
    lift = pd.DataFrame([{**row, "arm": "a", "abs_ci_low": 0.002, "abs_ci_high": 0.02},
                         {**row, "arm": "b", "abs_ci_low": -0.004, "abs_ci_high": 0.02}])
    fig = figures.lift_plot(lift)
    lines = [ln for ln in fig.axes[0].get_lines() if ln.get_marker() == "o"]
    faces = {round(ln.get_ydata()[0]): ln.get_markerfacecolor() for ln in lines}
    assert faces[1] != "white" and faces[0] == "white"          # arm a (top row) filled, arm b open
    labels = [t.get_text() for t in fig.legends[0].get_texts()]
    assert labels == ["95% interval excludes 0", "95% interval includes 0"]


def test_lift_plot_draws_an_interval_that_does_not_contain_the_point():
    """A rate-draw interval need not contain the point lift at the point rates (seen on The Complete
    Journey: matplotlib's errorbar refused the negative error); the interval is drawn as it is."""
    lift = pd.DataFrame([dict(arm="a", metric="conversion", method="bootstrap+rates", abs_lift=0.03,
                              abs_ci_low=0.005, abs_ci_high=0.02, rel_lift=0.2, rel_ci_low=0.01,
                              rel_ci_high=0.1, p_value=float("nan"), p_holm=float("nan"))])
    fig = figures.lift_plot(lift)
    segs = [s for c in fig.axes[0].collections for s in c.get_segments()]
    assert any(abs(s[0][0] - 1.0) < 1e-9 and abs(s[1][0] - 10.0) < 1e-9 for s in segs)   # 1% .. 10%
