"""Simulated sessions: held-out carts (who, what the cart is worth) and their hidden items.

Inputs are two tables (see ``SessionSet.from_frames``):

    sessions  query_id, customer_id, cart_value [, covariate column e.g. pre_period_spend]
    truth     query_id, item_id, quantity, unit_price [, value] [, unit_cost]   (hidden items)

``sessions_from_holdout`` builds both from a ``BasketCompletion`` split and its test lines.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from cs_lab.data import schema as S
from cs_lab.errors import CsLabWarning, DataError

QUERY = "query_id"
CART_VALUE = "cart_value"
SESSION_COLUMNS = (QUERY, S.CUSTOMER, CART_VALUE)
TRUTH_COLUMNS = (QUERY, S.ITEM, S.QUANTITY, S.UNIT_PRICE)


@dataclass
class SessionSet:
    """Sessions encoded as arrays (row order = the ``sessions`` table's order).

    ids, customers, cart_value, covariate   (n,) per session; covariate is None when absent
    line_session  (m,) session index of each hidden line, sorted ascending (then by item code)
    line_item     (m,) item code into ``items`` (the vocabulary of hidden items)
    line_value    (m,) quantity * unit_price, NaN when prices are unknown
    line_cost     (m,) quantity * unit_cost, NaN where unknown (all NaN without a unit_cost column)
    has_prices    every hidden line has a price (revenue metrics are defined)
    has_costs     every hidden line has a cost (margin is defined)
    """

    ids: np.ndarray
    customers: np.ndarray
    cart_value: np.ndarray
    covariate: np.ndarray | None
    items: pd.Index
    line_session: np.ndarray
    line_item: np.ndarray
    line_value: np.ndarray
    line_cost: np.ndarray
    has_prices: bool
    has_costs: bool

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def n_hidden(self) -> np.ndarray:
        return np.bincount(self.line_session, minlength=len(self)).astype(np.int64)

    @classmethod
    def from_frames(cls, sessions: pd.DataFrame, truth: pd.DataFrame, covariate: str | None = None
                    ) -> SessionSet:
        """Validate and encode. Every truth query_id must be a session; a session may have no
        hidden item (it can never convert). ``covariate`` names an optional numeric column of
        ``sessions`` (e.g. the customer's pre-period spend, for CUPED)."""
        _require(sessions, SESSION_COLUMNS, "sessions")
        _require(truth, TRUTH_COLUMNS, "truth")
        ids = sessions[QUERY].to_numpy(dtype=object)
        n = len(ids)
        # one factorisation of session ids followed by truth query ids: sessions are unique iff their
        # codes are 0..n-1; a truth row belongs to a session iff its code is < n
        codes_all, _ = pd.factorize(np.concatenate([ids, truth[QUERY].to_numpy(dtype=object)]),
                                    use_na_sentinel=False)
        if not np.array_equal(codes_all[:n], np.arange(n)):
            qindex = pd.Index(ids)
            dup = qindex[qindex.duplicated()][:5].tolist()
            raise DataError(f"query_id is not unique in sessions, e.g. {dup}", column=QUERY,
                            hint="one row per session")
        cart_value = sessions[CART_VALUE].to_numpy(dtype=np.float64, na_value=np.nan)
        bad = ~np.isfinite(cart_value) | (cart_value < 0)
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            raise DataError(f"cart_value must be finite and >= 0, got {cart_value[row]!r}", row=row,
                            column=CART_VALUE, hint="fill missing prices or drop those sessions")
        cov = None
        if covariate is not None:
            if covariate not in sessions.columns:
                raise DataError(f"covariate column {covariate!r} not in sessions (have {list(sessions.columns)})",
                                column=covariate, hint="add it (e.g. pre_period_spend()) or set cuped: false")
            cov = sessions[covariate].to_numpy(dtype=np.float64, na_value=np.nan)
            if not np.isfinite(cov).all():
                row = int(np.flatnonzero(~np.isfinite(cov))[0])
                raise DataError("covariate must be finite (use 0 for customers without history)",
                                row=row, column=covariate)
        sess = codes_all[n:].astype(np.int64)
        sess[sess >= n] = -1
        if (sess < 0).any():
            row = int(np.flatnonzero(sess < 0)[0])
            raise DataError(f"{int((sess < 0).sum())} truth row(s) belong to no session, e.g. query_id "
                            f"{truth[QUERY].iloc[row]!r}", row=row, column=QUERY,
                            hint="pass the sessions table of the same split")
        item_ids = truth[S.ITEM].astype(str).to_numpy(dtype=object)
        codes, items = pd.factorize(item_ids, sort=True)
        order = np.lexsort((codes, sess))
        sess, codes = sess[order].astype(np.int64), codes[order].astype(np.int64)
        if len(sess) > 1:
            dup = (sess[1:] == sess[:-1]) & (codes[1:] == codes[:-1])
            if dup.any():
                i = int(np.flatnonzero(dup)[0])
                raise DataError(f"item {items[codes[i]]!r} is hidden twice in query {ids[sess[i]]!r}",
                                column=S.ITEM, hint="aggregate truth to one row per (query_id, item_id)")
        qty = truth[S.QUANTITY].to_numpy(dtype=np.float64, na_value=np.nan)[order]
        price = truth[S.UNIT_PRICE].to_numpy(dtype=np.float64, na_value=np.nan)[order]
        value = (truth[S.VALUE].to_numpy(dtype=np.float64, na_value=np.nan)[order]
                 if S.VALUE in truth.columns else qty * price)
        if not (qty > 0).all():
            raise DataError("truth quantity must be > 0", column=S.QUANTITY)
        has_prices = bool(np.isfinite(value).all())
        if not has_prices and np.isfinite(value).any():
            raise DataError(f"{int((~np.isfinite(value)).sum())} of {len(value)} hidden lines have no price",
                            column=S.UNIT_PRICE, hint="fill prices (e.g. catalog median) or drop those lines")
        if not has_prices and len(value):
            warnings.warn("truth has no prices: revenue, order value and margin are not simulated",
                          CsLabWarning, stacklevel=2)
        if S.UNIT_COST in truth.columns:
            cost = qty * truth[S.UNIT_COST].to_numpy(dtype=np.float64, na_value=np.nan)[order]
        else:
            cost = np.full(len(qty), np.nan)
        has_costs = bool(has_prices and len(cost) and np.isfinite(cost).all())
        customers = (sessions[S.CUSTOMER].to_numpy(dtype=object, na_value=None)
                     if S.CUSTOMER in sessions.columns else np.full(len(ids), None, dtype=object))
        return cls(ids=ids, customers=customers, cart_value=cart_value, covariate=cov,
                   items=pd.Index(items, dtype=object), line_session=sess, line_item=codes,
                   line_value=value, line_cost=cost, has_prices=has_prices, has_costs=has_costs)


def _require(df: pd.DataFrame, cols: tuple[str, ...], name: str) -> None:
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise DataError(f"{name} table is missing column(s) {missing}; have {list(df.columns)}",
                        hint=f"{name} needs {list(cols)}")


def pre_period_spend(history: pd.DataFrame, customers) -> np.ndarray:
    """Each customer's total spend (sum of ``value``) in ``history`` lines; 0 for customers absent
    from it and for anonymous sessions (None/NA). The usual CUPED covariate."""
    cust = pd.Series(np.asarray(customers, dtype=object)).astype("string")
    if history.empty:
        return np.zeros(len(cust))
    spend = history.groupby(history[S.CUSTOMER].astype("string"), observed=True)[S.VALUE].sum()
    return cust.map(spend).astype("float64").fillna(0.0).to_numpy()


def sessions_from_holdout(split, lines: pd.DataFrame, *, history: pd.DataFrame | None = None,
                          covariate: str = "pre_period_spend") -> tuple[pd.DataFrame, pd.DataFrame]:
    """(sessions, truth) tables from a ``BasketCompletion`` split and the test lines it was made from.

    cart_value = sum of quantity * unit_price over the visible cart lines (from ``lines``);
    truth gets ``unit_cost`` when ``lines`` has it; with ``history`` (pre-period lines, e.g. the
    training lines) sessions get ``covariate`` = the customer's pre-period spend.
    """
    agg = {S.VALUE: (S.VALUE, "sum")}
    if S.UNIT_COST in lines.columns:
        agg[S.UNIT_COST] = (S.UNIT_COST, "median")
    per_item = (lines.groupby([S.BASKET, S.ITEM], observed=True).agg(**agg).reset_index()
                .astype({S.BASKET: str, S.ITEM: str}))
    q = split.queries[[QUERY, S.CUSTOMER, S.BASKET]].astype({S.BASKET: str})
    cart = split.cart.astype({S.ITEM: str}).merge(q[[QUERY, S.BASKET]], on=QUERY, how="left")
    cart = cart.merge(per_item, on=[S.BASKET, S.ITEM], how="left")
    cart_value = cart.groupby(QUERY, observed=True)[S.VALUE].sum(min_count=1)
    sessions = q[[QUERY, S.CUSTOMER]].copy()
    sessions[CART_VALUE] = sessions[QUERY].map(cart_value).astype("float64").fillna(0.0).to_numpy()
    if history is not None:
        sessions[covariate] = pre_period_spend(history, sessions[S.CUSTOMER])
    truth = split.truth.copy()
    if S.UNIT_COST in per_item.columns:
        tq = truth.astype({S.ITEM: str}).merge(q[[QUERY, S.BASKET]], on=QUERY, how="left")
        tq = tq.merge(per_item[[S.BASKET, S.ITEM, S.UNIT_COST]], on=[S.BASKET, S.ITEM], how="left")
        truth[S.UNIT_COST] = tq[S.UNIT_COST].to_numpy()
    return sessions.reset_index(drop=True), truth.reset_index(drop=True)
