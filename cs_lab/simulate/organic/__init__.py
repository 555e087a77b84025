"""The organic model: P(an item is bought without an offer), per (customer, item), from the
customer's history (repeat vs new, regularity, time since last purchase, item popularity).

    model = OrganicModel(OrganicConfig(seed=0)).fit(history=inner_train_lines, visits=validation_lines)
    report = calibration_report(model)          # Brier score, reliability on held-out customers
    p = model.predict(model.design(history_before_test, customers, items, times))

Fitted on periods before the test window only (docs/simulation.md, "The organic model").
"""

from cs_lab.simulate.organic.calibration import calibration_report, plot_reliability, reliability
from cs_lab.simulate.organic.features import FEATURES, HistoryStats, features
from cs_lab.simulate.organic.fit import fit_logistic, predict_logistic
from cs_lab.simulate.organic.model import OrganicConfig, OrganicModel

__all__ = ["FEATURES", "HistoryStats", "OrganicConfig", "OrganicModel", "calibration_report", "features",
           "fit_logistic", "plot_reliability", "predict_logistic", "reliability"]
