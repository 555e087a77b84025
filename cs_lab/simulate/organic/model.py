"""``OrganicModel``: P(a customer buys an item on a visit without any offer), per (customer, item).

Fitted on the visits (baskets) of a *target* period that follows a *history* period, both before
the test window (the experiment uses the training lines of the validation split as history and its
validation lines as visits: the test window is never seen). Each visit contributes

  * every item of the customer's history (label 1 if it is in the visit's basket, else 0),
  * every new item it contains (label 1),
  * ``negatives`` items sampled uniformly from the catalogue of the history that are new to the
    customer and not in the basket (label 0), each weighted so that they stand for all such items.

So the fitted probability is that of a purchase on a visit, over all (customer, item) pairs, as it
happened in a period without our offers. Visits of a random ``holdout_share`` of customers (by a
seeded hash) are kept out of the fit for the calibration check (reliability curve and Brier score).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from cs_lab.data import schema as S
from cs_lab.errors import DataError, NotFittedError
from cs_lab.simulate.hashing import hash_ids, to_unit
from cs_lab.simulate.organic.features import FEATURES, HistoryStats, features
from cs_lab.simulate.organic.fit import fit_logistic, predict_logistic


class OrganicConfig(BaseModel):
    """max_visits: visits sampled (seeded) from the target period; negatives: new-item negatives per
    visit; holdout_share: share of customers kept out for the calibration check; l2: ridge penalty
    on standardised features; seed: visit sampling, negatives and the holdout hash."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    max_visits: int = Field(1500, ge=10)
    negatives: int = Field(20, ge=1)
    holdout_share: float = Field(0.3, gt=0.0, lt=1.0)
    l2: float = Field(1e-3, ge=0.0)
    seed: int = 0


def _visits(lines: pd.DataFrame, cfg: OrganicConfig) -> pd.DataFrame:
    v = (lines.groupby(lines[S.BASKET].astype(str), observed=True)
         .agg(customer=(S.CUSTOMER, "first"), time=(S.TIMESTAMP, "min")).reset_index()
         .rename(columns={S.BASKET: "basket"}).sort_values("basket", kind="stable").reset_index(drop=True))
    if len(v) > cfg.max_visits:
        keep = np.random.default_rng(cfg.seed).choice(len(v), cfg.max_visits, replace=False)
        v = v.iloc[np.sort(keep)].reset_index(drop=True)
    return v


def training_rows(stats: HistoryStats, lines: pd.DataFrame, cfg: OrganicConfig) -> pd.DataFrame:
    """Candidate rows (basket, customer, item, time, label, weight) of the target period's visits."""
    v = _visits(lines, cfg)
    if v.empty:
        raise DataError("organic model: the target period has no visit", hint="check the validation split")
    bought = lines[[S.BASKET, S.ITEM]].astype(str).drop_duplicates()
    bought = bought[bought[S.BASKET].isin(set(v["basket"]))].rename(columns={S.BASKET: "basket", S.ITEM: "item"})
    vc = v.assign(c=v["customer"].astype("string").fillna("\x00anon").astype(str))
    hist = stats.customer_items()
    rep = vc[["basket", "c", "time"]].merge(hist, on="c").rename(columns={"i": "item"})
    pos = bought.merge(vc[["basket", "c", "time"]], on="basket")
    pos_key = pd.MultiIndex.from_frame(pos[["basket", "item"]])
    rep["label"] = pos_key.get_indexer(pd.MultiIndex.from_frame(rep[["basket", "item"]])) >= 0
    in_hist = pd.MultiIndex.from_frame(hist).get_indexer(pd.MultiIndex.from_frame(pos[["c", "item"]])) >= 0
    new_pos = pos[~in_hist].assign(label=True)
    # new-item negatives: sampled from the history catalogue, weighted to stand for all new items
    catalogue = stats.items.to_numpy(dtype=object)
    rng = np.random.default_rng([cfg.seed, 0x0A6])
    k = cfg.negatives
    samp = catalogue[rng.integers(0, len(catalogue), (len(vc), k))]
    neg = pd.DataFrame({"basket": np.repeat(vc["basket"].to_numpy(), k), "c": np.repeat(vc["c"].to_numpy(), k),
                        "time": np.repeat(vc["time"].to_numpy(), k), "item": samp.ravel()})
    taken = pd.concat([hist.rename(columns={"i": "item"}).merge(vc[["basket", "c"]], on="c")[["basket", "item"]],
                       pos[["basket", "item"]]]).drop_duplicates()
    clash = pd.MultiIndex.from_frame(taken).get_indexer(pd.MultiIndex.from_frame(neg[["basket", "item"]])) >= 0
    neg = neg[~clash].drop_duplicates(["basket", "item"])
    n_hist = vc["c"].map(hist.groupby("c").size()).fillna(0).to_numpy()
    n_new_pos = vc["basket"].map(new_pos.groupby("basket").size()).fillna(0).to_numpy()
    pool = pd.Series(np.maximum(len(catalogue) - n_hist - n_new_pos, 0), index=vc["basket"])
    kept = neg.groupby("basket").size()
    neg["weight"] = neg["basket"].map(pool / kept).to_numpy()
    neg["label"] = False
    rep["weight"], new_pos["weight"] = 1.0, 1.0
    cols = ["basket", "c", "item", "time", "label", "weight"]
    return pd.concat([rep[cols], new_pos[cols], neg[cols]], ignore_index=True)


class OrganicModel:
    """``fit(history, visits)`` then ``predict(history, customers, items, times)``."""

    def __init__(self, config: OrganicConfig | None = None) -> None:
        self.config = config or OrganicConfig()

    def fit(self, history: pd.DataFrame, visits: pd.DataFrame) -> OrganicModel:
        """history: lines before the target period; visits: the target period's lines."""
        cfg = self.config
        stats = HistoryStats(history)
        rows = training_rows(stats, visits, cfg)
        X = features(stats, rows["c"].to_numpy(), rows["item"].to_numpy(), rows["time"].to_numpy())
        y = rows["label"].to_numpy(dtype=np.float64)
        w = rows["weight"].to_numpy(dtype=np.float64)
        held = to_unit(hash_ids(rows["c"].to_numpy(), "organic-holdout", cfg.seed)) < cfg.holdout_share
        if held.all() or not held.any() or y[~held].sum() == 0:
            raise DataError("organic model: too few visits to fit and check it",
                            hint="give a longer validation period or raise organic.max_visits")
        self.mean_, self.sd_ = X[~held].mean(axis=0), X[~held].std(axis=0)
        self.sd_[self.sd_ == 0] = 1.0
        self.beta_, self.cov_ = fit_logistic((X[~held] - self.mean_) / self.sd_, y[~held], w[~held], cfg.l2)
        p = self._p(X)
        self.check_ = {"p": p[held], "y": y[held], "w": w[held], "repeat": X[held, 0] > 0}
        self.n_fit_ = {"visits": int(rows.loc[~held, "basket"].nunique()), "rows": int((~held).sum()),
                       "positives": int(y[~held].sum())}
        return self

    def _check(self) -> None:
        if not hasattr(self, "beta_"):
            raise NotFittedError("OrganicModel is not fitted; call fit(history, visits) first")

    def _p(self, X: np.ndarray, beta: np.ndarray | None = None) -> np.ndarray:
        b = self.beta_ if beta is None else beta
        return predict_logistic((X - self.mean_) / self.sd_, b)

    def design(self, history: pd.DataFrame, customers, items, times) -> np.ndarray:
        """Feature rows of the queries (for ``predict`` / ``draw``)."""
        self._check()
        return features(HistoryStats(history), customers, items, times)

    def predict(self, X: np.ndarray, coefficients: np.ndarray | None = None) -> np.ndarray:
        """P(bought without an offer) for design rows X: (n,) at the fitted coefficients, or (n, B)
        under coefficient draws (p + 1, B) from ``draw_coefficients``."""
        self._check()
        return self._p(X, coefficients)

    def draw_coefficients(self, rng: np.random.Generator, size: int) -> np.ndarray:
        """(p + 1, size) coefficient draws from their asymptotic normal (the parameter bootstrap)."""
        self._check()
        return rng.multivariate_normal(self.beta_, self.cov_, size, method="eigh").T

    def coefficients(self) -> dict[str, float]:
        self._check()
        return dict(zip(("intercept", *FEATURES), map(float, self.beta_)))
