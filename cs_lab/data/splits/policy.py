"""Explicit policy for test customers and items that training never saw."""

from __future__ import annotations

from typing import Literal

import pandas as pd
from pydantic import BaseModel, ConfigDict

from cs_lab.data import schema as S
from cs_lab.errors import DataError


class UnknownPolicy(BaseModel):
    """items:     keep (models treat them as unknown) | drop (remove those test lines) | error
    customers: keep (treated as anonymous by personal models) | anonymise (set customer to <NA>) | drop | error"""

    model_config = ConfigDict(extra="forbid")
    items: Literal["keep", "drop", "error"] = "keep"
    customers: Literal["keep", "anonymise", "drop", "error"] = "keep"


def apply_unknown_policy(train: pd.DataFrame, test: pd.DataFrame,
                         policy: UnknownPolicy) -> tuple[pd.DataFrame, dict[str, int]]:
    dropped: dict[str, int] = {}
    new_item = ~test[S.ITEM].isin(train[S.ITEM].unique())
    dropped["test_lines_unknown_item"] = int(new_item.sum()) if policy.items == "drop" else 0
    if policy.items == "error" and new_item.any():
        raise DataError(f"{int(new_item.sum())} test line(s) have items not in training, "
                        f"e.g. {test.loc[new_item, S.ITEM].head(3).tolist()}",
                        column=S.ITEM, hint="set split.unknown.items to 'keep' or 'drop'")
    if policy.items == "drop":
        test = test[~new_item]
    known_c = train[S.CUSTOMER].dropna().unique()
    new_cust = test[S.CUSTOMER].notna() & ~test[S.CUSTOMER].isin(known_c)
    if policy.customers == "error" and new_cust.any():
        raise DataError(f"{int(new_cust.sum())} test line(s) have customers not in training",
                        column=S.CUSTOMER, hint="set split.unknown.customers to keep, anonymise or drop")
    dropped["test_lines_unknown_customer"] = int(new_cust.sum()) if policy.customers == "drop" else 0
    if policy.customers == "drop":
        test = test[~new_cust]
    elif policy.customers == "anonymise":
        test = test.copy()
        test.loc[new_cust, S.CUSTOMER] = pd.NA
    return test.reset_index(drop=True), dropped
