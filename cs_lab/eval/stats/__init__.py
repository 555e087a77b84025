"""Statistics over per-query metric values: bootstrap CIs, paired tests, Holm, segments, rendering."""

from cs_lab.eval.stats.bootstrap import (Interval, bootstrap_ci, bootstrap_means,
                                         paired_bootstrap_ci, paired_differences)
from cs_lab.eval.stats.compare import COMPARISON_COLUMNS, compare_models, model_pairs
from cs_lab.eval.stats.correction import holm
from cs_lab.eval.stats.report import render_comparison, render_frame, render_table
from cs_lab.eval.stats.segments import segment_breakdown
from cs_lab.eval.stats.significance import (PairedComparison, compare_paired, paired_t_pvalue,
                                            wilcoxon_pvalue)

__all__ = [
    "COMPARISON_COLUMNS", "Interval", "PairedComparison", "bootstrap_ci", "bootstrap_means",
    "compare_models", "compare_paired", "holm", "model_pairs", "paired_bootstrap_ci",
    "paired_differences", "paired_t_pvalue", "render_comparison", "render_frame", "render_table",
    "segment_breakdown", "wilcoxon_pvalue",
]
