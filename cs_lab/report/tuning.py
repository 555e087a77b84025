"""Optuna studies as logged by the runner (trials.csv per tuned model run): history and importances.

The study itself lives in the run folder; the report reads only MLflow, so importances are
recomputed on an in-memory study rebuilt from trials.csv, with the distributions of the spec's
``search`` block.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from cs_lab.report.runs import ExperimentRuns, has_artifact, read_artifact
from cs_lab.tuning.space import CategoricalDim, FloatDim, IntDim, SearchSpace

MIN_TRIALS_FOR_IMPORTANCE = 3


def trials_frame(trials: pd.DataFrame, objective: str) -> pd.DataFrame:
    """trials.csv -> columns number, state (COMPLETE, PRUNED, FAIL, ...), value (the objective;
    for a pruned trial its last intermediate value, NaN when none) and one column per searched
    parameter (``params_`` prefix dropped)."""
    fallback = [c for c in trials.columns if c.startswith(("values_", "value_"))]
    for col in (f"values_{objective}", f"value_{objective}", "value", "values_0", *fallback[:1]):
        if col in trials.columns:
            value = pd.to_numeric(trials[col], errors="coerce")
            break
    else:
        value = pd.Series(np.nan, index=trials.index)
    out = pd.DataFrame({"number": trials["number"].astype("int64"), "state": trials["state"].astype(str),
                        "value": value})
    for c in trials.columns:
        if c.startswith("params_"):
            out[c[len("params_"):]] = trials[c]
    return out.sort_values("number", ignore_index=True)


def studies(client, runs: ExperimentRuns) -> dict[str, pd.DataFrame]:
    """model name -> trials_frame of every tuned model (those whose run logged trials.csv)."""
    out = {}
    for model, run in runs.models.items():
        if has_artifact(client, run.info.run_id, "trials.csv"):
            out[model] = trials_frame(read_artifact(client, run.info.run_id, "trials.csv"), runs.tuning_objective)
    return out


def _distribution(dim):
    from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution

    if isinstance(dim, IntDim):
        return IntDistribution(dim.low, dim.high, log=dim.log, step=dim.step)
    if isinstance(dim, FloatDim):
        return FloatDistribution(dim.low, dim.high, log=dim.log, step=dim.step)
    assert isinstance(dim, CategoricalDim)
    return CategoricalDistribution(dim.choices)


def _value(dim, raw):
    if isinstance(dim, IntDim):
        return int(raw)
    if isinstance(dim, FloatDim):
        return float(raw)
    by_text = {str(c): c for c in dim.choices}
    return by_text.get(str(raw), raw)


def importances(trials: pd.DataFrame, search: dict, maximize: bool = True) -> pd.Series | None:
    """PED-ANOVA importance of each searched parameter (shares summing to 1, largest first) on the
    completed trials; None with fewer than MIN_TRIALS_FOR_IMPORTANCE of them or no parameters."""
    import optuna
    from optuna.importance import PedAnovaImportanceEvaluator

    space = SearchSpace.from_dict(search)
    names = [n for n in space.dims if n in trials.columns]
    done = trials[(trials["state"] == "COMPLETE") & trials["value"].notna()]
    if not names or len(done) < MIN_TRIALS_FOR_IMPORTANCE:
        return None
    dists = {n: _distribution(space.dims[n]) for n in names}
    built = []
    for rec in done.to_dict(orient="records"):
        params = {n: _value(space.dims[n], rec[n]) for n in names if pd.notna(rec[n])}
        built.append(optuna.trial.create_trial(params=params, distributions={n: dists[n] for n in params},
                                               value=float(rec["value"])))
    verbosity = optuna.logging.get_verbosity()
    optuna.logging.set_verbosity(optuna.logging.WARNING)  # no "study created" line in the report
    try:
        study = optuna.create_study(direction="maximize" if maximize else "minimize")
    finally:
        optuna.logging.set_verbosity(verbosity)
    study.add_trials(built)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            imp = optuna.importance.get_param_importances(study, evaluator=PedAnovaImportanceEvaluator())
        except (RuntimeError, ValueError, ZeroDivisionError):
            return None
    if not imp:
        return None
    return pd.Series(imp, name="importance", dtype="float64").sort_values(ascending=False)
