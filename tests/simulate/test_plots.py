import matplotlib

matplotlib.use("Agg")

from cs_lab.simulate import SimulationConfig, simulate  # noqa: E402
from cs_lab.simulate.plots import plot_lift, plot_power_curve  # noqa: E402
from cs_lab.simulate.synthetic import synthetic_policy  # noqa: E402


def test_lift_plot(syn, tmp_path):
    res = simulate(syn.sessions, syn.truth, {"control": None, "A": synthetic_policy(syn, 0.3, seed=1),
                                             "B": synthetic_policy(syn, 0.6, seed=2)},
                   SimulationConfig(assignment="session", n_bootstrap=100))
    fig = plot_lift(res, "conversion", path=tmp_path / "lift.png")
    ax = fig.axes[0]
    assert (tmp_path / "lift.png").stat().st_size > 5000
    assert "%" in ax.get_ylabel() and "control" in ax.get_xlabel() and ax.get_title()
    assert {t.get_text() for t in ax.get_legend().get_texts()} == {"z-test", "bootstrap"}
    fig = plot_lift(res.lift, "addon_revenue", relative=False, methods=["welch"])
    assert "currency" in fig.axes[0].get_ylabel()


def test_power_curve_plot(tmp_path):
    fig = plot_power_curve(p_control=0.08, observed={"als": 0.05}, path=tmp_path / "power.png")
    ax = fig.axes[0]
    assert (tmp_path / "power.png").exists()
    assert ax.get_yscale() == "log" and "MDE" not in ax.get_ylabel() and "%" in ax.get_xlabel()
    assert len(ax.get_lines()) == 2 and len(ax.get_legend().get_texts()) == 3
    fig = plot_power_curve(sd=20.0, baseline_mean=30.0, metric="order_value")
    assert "order value" in fig.axes[0].get_title()


def test_lift_plot_with_the_point_outside_its_interval():
    import pandas as pd

    lift = pd.DataFrame([dict(arm="a", control="control", metric="conversion", method="bootstrap+rates",
                              abs_lift=0.03, abs_ci_low=0.005, abs_ci_high=0.02, rel_lift=0.2, rel_ci_low=0.01,
                              rel_ci_high=0.1)])
    fig = plot_lift(lift, "conversion")
    segs = [s for c in fig.axes[0].collections for s in c.get_segments()]
    assert any(abs(s[0][1] - 1.0) < 1e-9 and abs(s[1][1] - 10.0) < 1e-9 for s in segs)
