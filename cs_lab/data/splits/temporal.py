"""Global temporal split: baskets before a cut-off train, baskets at or after it test."""

from __future__ import annotations

import pandas as pd

from cs_lab.data import schema as S
from cs_lab.data.splits.base import Split
from cs_lab.data.splits.policy import UnknownPolicy, apply_unknown_policy
from cs_lab.errors import ConfigError, DataError


def basket_times(lines: pd.DataFrame) -> pd.Series:
    """Each line's basket time (the basket's first timestamp), so a basket never straddles a cut-off."""
    return lines.groupby(S.BASKET, observed=True, sort=False)[S.TIMESTAMP].transform("min")


def temporal_split(lines: pd.DataFrame, *, cutoff: str | pd.Timestamp | None = None,
                   test_fraction: float | None = None, unknown: UnknownPolicy | None = None) -> Split:
    """Split by time. Give either ``cutoff`` (a date) or ``test_fraction`` (share of baskets, by time,
    that go to test; the cut-off is the matching quantile of basket times).

    Whole baskets move together; ``unknown`` says what to do with test customers / items not seen in
    training (default: keep both).
    """
    if (cutoff is None) == (test_fraction is None):
        raise ConfigError("split: give exactly one of 'cutoff' (a date) or 'test_fraction' (0-1)")
    if lines[S.TIMESTAMP].isna().all():
        raise DataError("this dataset has no timestamps, so a temporal split is impossible",
                        column=S.TIMESTAMP, hint="use a random basket split (split.kind: random_baskets)")
    bt = basket_times(lines)
    if test_fraction is not None:
        if not 0 < test_fraction < 1:
            raise ConfigError(f"split.test_fraction must be in (0, 1), got {test_fraction}")
        per_basket = bt.groupby(lines[S.BASKET], observed=True).first().sort_values()
        cut = per_basket.iloc[int(round(len(per_basket) * (1 - test_fraction)))]
    else:
        try:
            cut = pd.Timestamp(cutoff)
        except (ValueError, TypeError) as exc:
            raise ConfigError(f"split.cutoff: cannot parse {cutoff!r} as a date") from exc
    is_test = (bt >= cut).to_numpy()
    train, test = lines[~is_test].reset_index(drop=True), lines[is_test].reset_index(drop=True)
    if train.empty or test.empty:
        raise ConfigError(f"split.cutoff {cut} leaves {'training' if train.empty else 'test'} data empty "
                          f"(data spans {lines[S.TIMESTAMP].min()} .. {lines[S.TIMESTAMP].max()})")
    unknown = unknown or UnknownPolicy()
    test, dropped = apply_unknown_policy(train, test, unknown)
    params = {"cutoff": None if cutoff is None else str(pd.Timestamp(cutoff)), "test_fraction": test_fraction,
              **unknown.model_dump()}
    split = Split("temporal", train, test, params, cutoff=cut, dropped=dropped)
    split.check_no_leakage()
    return split
