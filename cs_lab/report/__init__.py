"""Report notebooks' building blocks: read an experiment's runs through MlflowClient, build tables,
draw figures, publish them (notebook output + MLflow artifact under report/ of the comparison
run), and execute the notebooks headless.

    runs.py      latest_runs, read_artifact, has_artifact (MLflow queries)
    tables.py    leaderboard, pairwise, metrics_long, segment_table, lift_table, tradeoff
    tuning.py    trials_frame, studies, importances (Optuna, rebuilt from trials.csv)
    figures.py   results-report figures
    dataset.py   dataset-report tables and figures (basket sizes, popularity, prices, rules)
    publish.py   FigurePublisher
    execute.py   run_reports (nbclient + nbconvert)

See docs/reports.md.
"""

import warnings

# tqdm.auto (imported by optuna / mlflow) warns in a notebook kernel without ipywidgets; the reports
# show no progress bars, so the warning is noise in them
warnings.filterwarnings("ignore", message="IProgress not found")

from cs_lab.report.runs import ExperimentRuns, ReportError, latest_runs, read_artifact  # noqa: E402

__all__ = ["ExperimentRuns", "ReportError", "latest_runs", "read_artifact"]
