"""Statistics over per-query metric values: (cluster) bootstrap CIs, paired tests, Holm,
max-T comparison families, segments, rendering."""

from cs_lab.eval.stats.bootstrap import (Interval, bootstrap_ci, bootstrap_means, cluster_bootstrap_means,
                                         paired_bootstrap_ci, paired_differences)
from cs_lab.eval.stats.compare import COMPARISON_COLUMNS, compare_models, model_pairs
from cs_lab.eval.stats.correction import holm
from cs_lab.eval.stats.family import (FAMILY_COLUMNS, SECONDARY_COLUMNS, MaxT, compare_family,
                                      compare_secondary, max_t_intervals)
from cs_lab.eval.stats.identical import identical_columns
from cs_lab.eval.stats.report import (render_comparison, render_family, render_frame, render_secondary,
                                      render_table)
from cs_lab.eval.stats.segments import segment_breakdown
from cs_lab.eval.stats.significance import (PairedComparison, compare_paired, paired_t_pvalue,
                                            wilcoxon_pvalue)

__all__ = [
    "COMPARISON_COLUMNS", "FAMILY_COLUMNS", "Interval", "MaxT", "PairedComparison", "SECONDARY_COLUMNS",
    "bootstrap_ci", "bootstrap_means", "cluster_bootstrap_means", "compare_family", "compare_models",
    "compare_paired", "compare_secondary", "holm", "identical_columns", "max_t_intervals",
    "model_pairs", "paired_bootstrap_ci", "paired_differences", "paired_t_pvalue", "render_comparison",
    "render_family", "render_frame", "render_secondary", "render_table", "segment_breakdown",
    "wilcoxon_pvalue",
]
