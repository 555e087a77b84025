"""From a spec to everything the models and metrics need: data -> split -> validation split ->
holdouts -> matrices, queries, truth and the evaluation catalog."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp

from cs_lab.data import Dataset, load_dataset, schema as S
from cs_lab.data.interactions import Interactions
from cs_lab.data.queries import Queries
from cs_lab.data.splits import BasketCompletion, Split, basket_completion, random_basket_split, temporal_split
from cs_lab.data.vocab import Vocabulary
from cs_lab.eval import Catalog
from cs_lab.experiment.spec import ExperimentSpec
from cs_lab.errors import DataError


@dataclass
class EvalSet:
    """Queries in the training vocabulary, plus truth over an evaluation item index that is the
    training items followed by hidden items training never saw (no model can recommend those,
    but they count in recall's denominator)."""

    holdout: BasketCompletion
    queries: Queries
    truth: sp.csr_matrix
    eval_items: np.ndarray
    catalog: Catalog
    segments: pd.DataFrame

    def __len__(self) -> int:
        return len(self.queries)


@dataclass
class Stage:
    train: Interactions
    eval: EvalSet


@dataclass
class PreparedTask:
    dataset: Dataset
    split: Split
    inner: Split
    tuning: Stage
    final: Stage

    def tags(self) -> dict[str, str]:
        return {"dataset": self.dataset.name,
                "dataset_sha256": ",".join(f"{k}={v}" for k, v in sorted(self.dataset.source_sha256.items())),
                "split_fingerprint": self.split.fingerprint,
                "validation_fingerprint": self.inner.fingerprint,
                "holdout_fingerprint": self.final.eval.holdout.fingerprint}


def _split(lines: pd.DataFrame, spec: ExperimentSpec, fraction: float | None, cutoff: str | None) -> Split:
    if spec.split.kind == "random_baskets" or lines[S.TIMESTAMP].isna().all():
        return random_basket_split(lines, test_fraction=fraction or 0.2, seed=spec.split.seed)
    return temporal_split(lines, test_fraction=None if cutoff else fraction, cutoff=cutoff,
                          unknown=spec.split.unknown)


def prepare_task(spec: ExperimentSpec, dataset: Dataset | None = None) -> PreparedTask:
    ds = dataset or load_dataset(spec.dataset, progress=False)
    split = _split(ds.lines, spec, spec.split.test_fraction, spec.split.cutoff)
    inner = _split(split.train, spec, spec.validation.test_fraction, None)
    t = spec.task  # (anonymous data is fine: personal models then simply have no candidates)
    valid_h = basket_completion(inner.test, mode=t.mode, fraction=t.fraction, min_items=t.min_items,
                                seed=t.seed, max_queries=t.max_validation_queries)
    test_h = basket_completion(split.test, mode=t.mode, fraction=t.fraction, min_items=t.min_items,
                               seed=t.seed, max_queries=t.max_queries)
    if len(test_h.queries) == 0 or len(valid_h.queries) == 0:
        raise DataError(f"dataset {ds.name!r}: no test baskets with >= {t.min_items} items after the split",
                        hint="lower task.min_items or change split.test_fraction")
    returns = ds.returns
    tr_in = Interactions.from_lines(inner.train, returns=_before(returns, inner))
    tr_full = Interactions.from_lines(split.train, returns=_before(returns, split))
    return PreparedTask(ds, split, inner, Stage(tr_in, make_eval_set(valid_h, tr_in)),
                        Stage(tr_full, make_eval_set(test_h, tr_full)))


def _before(returns: pd.DataFrame, split: Split) -> pd.DataFrame | None:
    if returns is None or returns.empty or split.cutoff is None:
        return returns
    return returns[returns[S.TIMESTAMP] < split.cutoff].reset_index(drop=True)


def make_eval_set(h: BasketCompletion, train: Interactions) -> EvalSet:
    queries = Queries.from_frames(h.queries, h.cart, train.items, train.customers)
    known = train.items.ids
    extra = np.sort(h.truth.loc[~h.truth[S.ITEM].isin(known), S.ITEM].unique().astype(str))
    eval_items = np.concatenate([known, extra])
    vocab = Vocabulary(eval_items)
    rows = pd.Index(h.queries["query_id"]).get_indexer(h.truth["query_id"])
    cols = vocab.index(h.truth[S.ITEM].to_numpy())
    truth = sp.csr_matrix((np.ones(len(rows), np.float32), (rows, cols)), shape=(len(queries), len(eval_items)))
    truth.sum_duplicates()
    truth.data[:] = 1.0
    n_extra = len(extra)
    cat1 = next(iter(train.item_categories.values()), None)

    def ext(a, fill):
        return np.concatenate([np.asarray(a, dtype=float), np.full(n_extra, fill)])

    # hidden items unknown to training: price from the truth itself (for revenue), popularity 0
    extra_price = h.truth[~h.truth[S.ITEM].isin(known)].groupby(S.ITEM)[S.UNIT_PRICE].median()
    price = ext(train.item_price, np.nan)
    price[len(known):] = extra_price.reindex(extra).to_numpy(dtype=float)
    catalog = Catalog(popularity=ext(train.item_popularity(), 0.0), price=price,
                      quantity=ext(train.item_quantity, np.nan), cost=ext(train.item_cost, np.nan),
                      category=None if cat1 is None else np.concatenate([cat1, np.full(n_extra, -1)]).astype(np.int64),
                      popularity_total=float(train.n_baskets))
    return EvalSet(h, queries, truth, eval_items, catalog, _segments(h, queries, train))


def _segments(h: BasketCompletion, queries: Queries, train: Interactions) -> pd.DataFrame:
    q = h.queries
    cust = q[S.CUSTOMER]
    status = np.where(cust.isna(), "anonymous", np.where(queries.customers >= 0, "returning", "new"))
    size = q["cart_size"].to_numpy()
    bucket = pd.cut(size, [0, 1, 3, 7, np.inf], labels=["1", "2-3", "4-7", "8+"]).astype(str)
    first_cat = np.full(len(q), "unknown", dtype=object)
    if train.item_categories:
        level = next(iter(train.item_categories))
        codes, names = train.item_categories[level], train.category_names[level]
        first = h.cart.drop_duplicates("query_id").set_index("query_id")[S.ITEM]
        idx = train.items.index(first.reindex(q["query_id"]).to_numpy())
        ok = idx >= 0
        c = np.full(len(q), -1)
        c[ok] = codes[idx[ok]]
        first_cat[c >= 0] = names[c[c >= 0]]
    return pd.DataFrame({"customer": status, "cart_size": bucket, "first_category": first_cat},
                        index=pd.Index(q["query_id"].to_numpy(), name="query"))


def recommendations_frame(ids: np.ndarray, query_ids: np.ndarray, items: np.ndarray) -> pd.DataFrame:
    """Long table query_id, item_id, rank (1 = top) of an (n, K) id array; -1 padding dropped.
    The format `cs-lab evaluate` reads."""
    n, k = ids.shape
    rows, cols = np.nonzero(ids >= 0)
    return pd.DataFrame({"query_id": np.asarray(query_ids)[rows], "item_id": np.asarray(items)[ids[rows, cols]],
                         "rank": cols + 1})


def truth_frame(ev: EvalSet) -> pd.DataFrame:
    """query_id, item_id of the hidden items (the TRUTH file of `cs-lab evaluate`)."""
    return ev.holdout.truth[["query_id", "item_id"]].copy()
