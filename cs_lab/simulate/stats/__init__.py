"""Statistics of the simulated experiment: analytic tests, Poisson bootstrap, CUPED, power, lift table."""

from cs_lab.simulate.stats.analytic import LiftEstimate, two_proportion_ztest, welch_from_stats, welch_test
from cs_lab.simulate.stats.bootstrap import bootstrap_pvalue, percentile_interval, poisson_bootstrap_means
from cs_lab.simulate.stats.cuped import cuped_adjust, cuped_theta, variance_reduction
from cs_lab.simulate.stats.lift import LIFT_COLUMNS, lift_table
from cs_lab.simulate.stats.power import (mde_means, mde_proportions, power_means, power_proportions,
                                         power_table, sample_size_means, sample_size_proportions)

__all__ = [
    "LIFT_COLUMNS", "LiftEstimate", "bootstrap_pvalue", "cuped_adjust", "cuped_theta", "lift_table",
    "mde_means", "mde_proportions", "percentile_interval", "poisson_bootstrap_means", "power_means",
    "power_proportions", "power_table", "sample_size_means", "sample_size_proportions",
    "two_proportion_ztest", "variance_reduction", "welch_from_stats", "welch_test",
]
