"""The next-basket task (``task.kind: next_basket``): from a spec to the windows the runner scores.

Per window (earliest first; window i of W drops each customer's last W-1-i baskets):
    test        each customer with >= task.min_baskets baskets; empty cart; truth = their last basket;
                training = every identified basket before each customer's last one
    validation  the same, one basket earlier: truth = the basket before the last, training = every
                identified basket before each validation customer's validation basket
History (repeat / explore, and the explore task's exclusion) = the customer's training baskets.
"""

from __future__ import annotations

from cs_lab.data import Dataset
from cs_lab.data.splits import Split, next_basket_holdout, next_basket_split
from cs_lab.errors import DataError
from cs_lab.experiment.spec import ExperimentSpec
from cs_lab.experiment.task import PreparedTask, assemble_task


def next_basket_windows(lines, spec: ExperimentSpec) -> list[Split]:
    """``split.windows`` rolling origins in basket steps: window i (of W) drops each customer's last
    W-1-i baskets, so the last window tests every customer's last basket."""
    w = spec.split.windows
    out = []
    for i in range(w):
        s = next_basket_split(lines, min_baskets=spec.task.min_baskets, drop_last=w - 1 - i)
        s.params["window"], s.params["windows"] = i, w
        out.append(s)
    return out


def prepare_next_basket_windows(spec: ExperimentSpec, ds: Dataset) -> list[PreparedTask]:
    splits = next_basket_windows(ds.lines, spec)
    return [prepare_next_basket(spec, ds, s, window=i, n_windows=len(splits)) for i, s in enumerate(splits)]


def prepare_next_basket(spec: ExperimentSpec, ds: Dataset, split: Split, window: int = 0,
                        n_windows: int = 1) -> PreparedTask:
    t = spec.task
    inner = next_basket_split(split.train, min_baskets=t.min_baskets)
    params = {"min_baskets": t.min_baskets, "drop_last": split.params.get("drop_last", 0)}
    valid_h = next_basket_holdout(inner.test, inner.train, {**params, "stage": "validation"})
    test_h = next_basket_holdout(split.test, split.train, {**params, "stage": "test"})
    where = f"dataset {ds.name!r} ({spec.dataset}), next basket, window {window + 1} of {n_windows}"
    for name, h, need in (("test", test_h, t.min_baskets), ("validation", valid_h, t.min_baskets + 1)):
        if len(h.queries) == 0:
            raise DataError(f"{where}: no customer has the {need + params['drop_last']} baskets a {name} target "
                            f"needs here (task.min_baskets = {t.min_baskets}, split.windows = {n_windows})",
                            hint="lower task.min_baskets or split.windows")
    return assemble_task(spec, ds, split, inner, valid_h, test_h, window, n_windows,
                         empty=f"{where}: no {{name}} customer's target basket has an item new to them, so "
                               "the explore task has nothing to score", hint="use task.exclude: [cart]",
                         extra_counts={f"dropped_{k}": v for k, v in split.dropped.items()})
