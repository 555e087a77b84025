"""From a spec to everything the models and metrics need: data -> split -> validation split ->
holdouts -> matrices, queries, truth and the evaluation catalog."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import scipy.sparse as sp

from cs_lab.data import Dataset, load_dataset, schema as S
from cs_lab.data.interactions import Interactions
from cs_lab.data.queries import Queries
from cs_lab.data.splits import BasketCompletion, Split, basket_completion, random_basket_split, temporal_split
from cs_lab.data.splits.temporal import basket_times
from cs_lab.data.vocab import Vocabulary
from cs_lab.eval import Catalog
from cs_lab.eval.metrics.threshold import ThresholdTerms, threshold_metrics
from cs_lab.experiment.spec import ExperimentSpec
from cs_lab.errors import DataError


@dataclass
class EvalSet:
    """Queries in the training vocabulary, plus truth over an evaluation item index that is the
    training items followed by hidden items training never saw (no model can recommend those,
    but they count in recall's denominator).

    history     CSR (n, eval items): items the query's customer bought in the training period
                (empty rows for anonymous and new customers); splits the truth into repeat / explore
    exclude     CSR (n, training items) of extra non-candidates (the explore task: the history),
                or None (only the cart is excluded)
    truth_value CSR like truth: the hidden line's real value (quantity x unit price)
    cart_value  (n,) value of each visible cart (sum of its lines' quantity x unit price), when the
                lines carry values
    threshold   the order threshold of metrics.threshold (adds the threshold metrics), or None
    clusters    (n,) customer id per query (anonymous queries: their own query id), for the
                cluster bootstrap
    """

    holdout: BasketCompletion
    queries: Queries
    truth: sp.csr_matrix
    eval_items: np.ndarray
    catalog: Catalog
    segments: pd.DataFrame
    history: sp.csr_matrix | None = None
    exclude: sp.csr_matrix | None = None
    truth_value: sp.csr_matrix | None = None
    truth_margin: sp.csr_matrix | None = None
    clusters: np.ndarray | None = None
    cart_value: np.ndarray | None = None
    threshold: ThresholdTerms | None = None

    def __len__(self) -> int:
        return len(self.queries)

    @property
    def query_ids(self) -> np.ndarray:
        return self.segments.index.to_numpy()

    def evaluate(self, ids: np.ndarray, ks, rows: slice | None = None, offers=None):
        """Metrics of recommendation ids (rows of this set, or the slice ``rows``); ``offers`` (the
        bundle each row offers, from a model with an ``offers`` method) adds the bundle metrics."""
        from cs_lab.eval import evaluate
        from cs_lab.eval.registry import resolve_metrics

        def part(m):
            return m if m is None or rows is None else m[rows]

        given = [n for n, v in (("history", self.history), ("truth_value", self.truth_value),
                                ("truth_margin", self.truth_margin), ("offers", offers)) if v is not None]
        metrics = [m.name for m in resolve_metrics(None, self.catalog, given)] + ["fill_rate"]
        cart_value = None
        if self.threshold is not None and self.cart_value is not None and self.truth_value is not None:
            metrics += threshold_metrics(self.threshold, has_truth_margin=self.truth_margin is not None)
            cart_value = part(self.cart_value)
        return evaluate(ids, part(self.truth), metrics, ks=ks, catalog=self.catalog, query_ids=part(self.query_ids),
                        history=part(self.history), truth_value=part(self.truth_value),
                        truth_margin=part(self.truth_margin), offers=offers, cart_value=cart_value)


@dataclass
class Stage:
    train: Interactions
    eval: EvalSet


@dataclass
class PreparedTask:
    """One test window: its split, the validation split of its training period, and both stages."""

    dataset: Dataset
    split: Split
    inner: Split
    tuning: Stage
    final: Stage
    window: int = 0
    n_windows: int = 1
    explore: bool = False
    counts: dict = field(default_factory=dict)

    def tags(self) -> dict[str, str]:
        return {"dataset": self.dataset.name, "task_kind": self.kind,
                "dataset_sha256": ",".join(f"{k}={v}" for k, v in sorted(self.dataset.source_sha256.items())),
                "split_fingerprint": self.split.fingerprint,
                "validation_fingerprint": self.inner.fingerprint,
                "holdout_fingerprint": self.final.eval.holdout.fingerprint}

    @property
    def kind(self) -> str:
        return "next_basket" if self.split.kind == "next_basket" else "basket_completion"

    @property
    def label(self) -> str:
        if self.kind == "next_basket":
            d = int(self.split.params.get("drop_last", 0))
            return f"w{self.window} (each customer's last basket{f' minus {d}' if d else ''})"
        s, t = self.split.test, S.TIMESTAMP
        if t in s.columns and s[t].notna().any():
            return f"w{self.window} {s[t].min():%Y-%m-%d}..{s[t].max():%Y-%m-%d}"
        return f"w{self.window}"


def _split(lines: pd.DataFrame, spec: ExperimentSpec, fraction: float | None, cutoff: str | None,
           seed_offset: int = 0) -> Split:
    if spec.split.kind == "random_baskets" or lines[S.TIMESTAMP].isna().all():
        return random_basket_split(lines, test_fraction=fraction or 0.2, seed=spec.split.seed + seed_offset)
    return temporal_split(lines, test_fraction=None if cutoff else fraction, cutoff=cutoff,
                          unknown=spec.split.unknown)


def window_splits(lines: pd.DataFrame, spec: ExperimentSpec) -> list[Split]:
    """Rolling origin: ``split.windows`` consecutive test windows cut from the last
    ``split.test_fraction`` of baskets (by basket time), each trained on everything before it.
    Without timestamps each window is a random basket split with its own seed."""
    w = spec.split.windows
    if w == 1:
        return [_split(lines, spec, spec.split.test_fraction, spec.split.cutoff)]
    if spec.split.kind == "random_baskets" or lines[S.TIMESTAMP].isna().all():
        return [_split(lines, spec, spec.split.test_fraction / w, None, seed_offset=i) for i in range(w)]
    bt = basket_times(lines)
    per_basket = bt.groupby(lines[S.BASKET], observed=True).first().sort_values()
    n, f = len(per_basket), spec.split.test_fraction
    starts = [per_basket.iloc[min(n - 1, int(round(n * (1 - f + i * f / w))))] for i in range(w)]
    out = []
    for i, start in enumerate(starts):
        end = starts[i + 1] if i + 1 < w else None
        part = lines if end is None else lines[(bt < end).to_numpy()].reset_index(drop=True)
        split = temporal_split(part, cutoff=start, unknown=spec.split.unknown)
        split.params["window"], split.params["windows"] = i, w
        split.params["test_fraction"] = f
        out.append(split)
    return out


def prepare_windows(spec: ExperimentSpec, dataset: Dataset | None = None) -> list[PreparedTask]:
    """Every test window of the spec, earliest first."""
    ds = dataset or load_dataset(spec.dataset, progress=False)
    if spec.task.kind == "next_basket":
        from cs_lab.experiment.next_basket import prepare_next_basket_windows

        return prepare_next_basket_windows(spec, ds)
    n_baskets = int(ds.lines[S.BASKET].nunique())
    need = spec.split.windows + 2        # a training, a validation and a test basket per window, at the least
    if n_baskets < need:
        raise DataError(f"dataset {ds.name!r} ({spec.dataset}) has only {n_baskets} basket(s); splitting it into "
                        f"training, validation and {spec.split.windows} test window(s) needs at least {need} "
                        f"(in practice hundreds)",
                        hint="give a file with more baskets (is basket_id mapped to the right column?)")
    splits = window_splits(ds.lines, spec)
    return [prepare_task(spec, ds, split=s, window=i, n_windows=len(splits)) for i, s in enumerate(splits)]


def prepare_task(spec: ExperimentSpec, dataset: Dataset | None = None, split: Split | None = None,
                 window: int = 0, n_windows: int = 1) -> PreparedTask:
    ds = dataset or load_dataset(spec.dataset, progress=False)
    split = split or window_splits(ds.lines, spec)[-1]
    inner = _split(split.train, spec, spec.validation.test_fraction, None, seed_offset=window)
    t = spec.task  # (anonymous data is fine: personal models then simply have no candidates)
    valid_h = basket_completion(inner.test, mode=t.mode, fraction=t.fraction, min_items=t.min_items,
                                seed=t.seed, max_queries=None)
    test_h = basket_completion(split.test, mode=t.mode, fraction=t.fraction, min_items=t.min_items,
                               seed=t.seed, max_queries=None)
    where = f"dataset {ds.name!r}, test window {window + 1} of {n_windows}"
    if len(test_h.queries) == 0 or len(valid_h.queries) == 0:
        raise DataError(f"{where}: no {'test' if len(test_h.queries) == 0 else 'validation'} baskets with "
                        f">= {t.min_items} items after the split",
                        hint="lower task.min_items, split.windows or change split.test_fraction")
    return assemble_task(spec, ds, split, inner, valid_h, test_h, window, n_windows,
                         empty=f"{where}: no {{name}} cart has a hidden item new to its customer, so the "
                               "explore task has nothing to score",
                         hint="use a longer window or task.exclude: [cart]")


def assemble_task(spec: ExperimentSpec, ds: Dataset, split: Split, inner: Split, valid_h, test_h,
                  window: int, n_windows: int, empty: str, hint: str,
                  extra_counts: dict[str, int] | None = None) -> PreparedTask:
    """Holdouts -> the PreparedTask of one window (training interactions, eval sets, counts), shared
    by every task kind. ``empty`` (with ``{name}`` = validation / test) is the error when the explore
    filter leaves an eval set with nothing to score."""
    t = spec.task
    tr_in = Interactions.from_lines(inner.train, returns=_before(ds.returns, inner))
    tr_full = Interactions.from_lines(split.train, returns=_before(ds.returns, split))
    valid = make_eval_set(valid_h, tr_in, explore=t.explore, max_queries=t.max_validation_queries, seed=t.seed,
                          lines=inner.test)
    test = make_eval_set(test_h, tr_full, explore=t.explore, max_queries=t.max_queries, seed=t.seed,
                         lines=split.test)
    if spec.metrics.threshold is not None:
        valid.threshold = test.threshold = spec.metrics.threshold.terms()
    for name, ev in (("validation", valid), ("test", test)):
        if len(ev) == 0:
            raise DataError(empty.format(name=name), hint=hint)
    counts = {"test_baskets": int(split.test[S.BASKET].nunique()), "test_carts": len(test),
              "test_carts_eligible": test.holdout.params["eligible"], "validation_carts": len(valid),
              "validation_carts_eligible": valid.holdout.params["eligible"],
              **(extra_counts or {})}
    return PreparedTask(ds, split, inner, Stage(tr_in, valid), Stage(tr_full, test), window=window,
                        n_windows=n_windows, explore=t.explore, counts=counts)


def _before(returns: pd.DataFrame, split: Split) -> pd.DataFrame | None:
    """The returns training may see: before the split's cut-off, or (per-customer cut-offs, next
    basket) each identified customer's returns before their own cut; anonymous returns dropped."""
    if returns is None or returns.empty:
        return returns
    if split.customer_cutoffs is not None:
        r = returns.dropna(subset=[S.CUSTOMER])
        cut = split.customer_cutoffs.reindex(r[S.CUSTOMER].to_numpy()).to_numpy()
        keep = pd.isna(cut) | (r[S.TIMESTAMP].to_numpy() < cut)
        return r[keep].reset_index(drop=True)
    if split.cutoff is None:
        return returns
    return returns[returns[S.TIMESTAMP] < split.cutoff].reset_index(drop=True)


def _sample(h: BasketCompletion, keep: np.ndarray) -> BasketCompletion:
    """The holdout restricted to the queries ``keep`` (bool over h.queries rows)."""
    q = h.queries[keep].reset_index(drop=True)
    ids = set(q["query_id"])
    return BasketCompletion(q, h.cart[h.cart["query_id"].isin(ids)].reset_index(drop=True),
                            h.truth[h.truth["query_id"].isin(ids)].reset_index(drop=True),
                            {**h.params, "n_queries": len(q)})


def make_eval_set(h: BasketCompletion, train: Interactions, explore: bool = False,
                  max_queries: int | None = None, seed: int = 0, lines: pd.DataFrame | None = None) -> EvalSet:
    """Queries, truth, history and truth values of a holdout. ``explore``: the truth keeps only hidden
    items new to the customer and carts left without one are dropped; then ``max_queries`` keeps a
    seeded random sample of the carts."""
    qcust = train.customers.index(h.queries[S.CUSTOMER].to_numpy()) if S.CUSTOMER in h.queries else \
        np.full(len(h.queries), -1)
    if explore:
        t_cust = pd.Series(qcust, index=h.queries["query_id"]).reindex(h.truth["query_id"]).to_numpy()
        t_item = train.items.index(h.truth[S.ITEM].to_numpy())
        bought = np.zeros(len(h.truth), dtype=bool)
        ok = (t_cust >= 0) & (t_item >= 0)
        if ok.any():
            bought[ok] = np.asarray(train.customer_items[t_cust[ok], t_item[ok]]).ravel() > 0
        truth = h.truth[~bought].reset_index(drop=True)
        h = BasketCompletion(h.queries, h.cart, truth, {**h.params, "explore": True})
        h = _sample(h, h.queries["query_id"].isin(set(truth["query_id"])).to_numpy())
    n_eligible = len(h.queries)     # carts with >= min_items items (and, explore, a new hidden item)
    if max_queries is not None and len(h.queries) > max_queries:
        rng = np.random.default_rng([seed, 7919])
        keep = np.zeros(len(h.queries), dtype=bool)
        keep[np.sort(rng.choice(len(h.queries), size=max_queries, replace=False))] = True
        h = _sample(h, keep)
    h.params["max_queries"] = max_queries
    h.params["eligible"] = n_eligible
    queries = Queries.from_frames(h.queries, h.cart, train.items, train.customers)
    known = train.items.ids
    extra = np.sort(h.truth.loc[~h.truth[S.ITEM].isin(known), S.ITEM].unique().astype(str))
    eval_items = np.concatenate([known, extra])
    vocab = Vocabulary(eval_items)
    rows = pd.Index(h.queries["query_id"]).get_indexer(h.truth["query_id"])
    cols = vocab.index(h.truth[S.ITEM].to_numpy())
    shape = (len(queries), len(eval_items))

    def truth_matrix(values) -> sp.csr_matrix:
        m = sp.csr_matrix((np.asarray(values, dtype=np.float64), (rows, cols)), shape=shape)
        m.sum_duplicates()   # (one line per basket and item already; summing is the safe reading)
        return m

    truth = truth_matrix(np.ones(len(rows)))
    truth.data[:] = 1.0
    truth = truth.astype(np.float32)
    value = h.truth[S.VALUE].to_numpy(dtype=float) if S.VALUE in h.truth else np.full(len(rows), np.nan)
    truth_value = truth_matrix(np.nan_to_num(value, nan=0.0))
    truth_margin = None
    if lines is not None and S.UNIT_COST in lines.columns and lines[S.UNIT_COST].notna().any():
        cost = (lines.groupby([S.BASKET, S.ITEM], observed=True)[S.UNIT_COST].median()
                .rename("unit_cost").reset_index())
        tq = h.truth.merge(h.queries[["query_id", S.BASKET]], on="query_id", how="left") \
            .merge(cost, on=[S.BASKET, S.ITEM], how="left")
        margin = tq[S.QUANTITY].to_numpy(float) * (tq[S.UNIT_PRICE].to_numpy(float) - tq["unit_cost"].to_numpy(float))
        truth_margin = truth_matrix(np.nan_to_num(margin, nan=0.0))
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
    history_train = customer_history(train, queries.customers)
    history = sp.hstack([history_train, sp.csr_matrix((len(queries), n_extra), dtype=np.float32)]).tocsr()
    anon = h.queries[S.CUSTOMER].isna().to_numpy() if S.CUSTOMER in h.queries else np.ones(len(queries), bool)
    qid_s = "q:" + h.queries["query_id"].astype(str)
    cust_s = ("c:" + h.queries[S.CUSTOMER].astype(str)) if S.CUSTOMER in h.queries else qid_s
    clusters = np.where(anon, qid_s.to_numpy(dtype=object), cust_s.to_numpy(dtype=object)).astype(str)
    return EvalSet(h, queries, truth, eval_items, catalog, _segments(h, queries, train), history=history,
                   exclude=history_train if explore else None, truth_value=truth_value,
                   truth_margin=truth_margin, clusters=clusters, cart_value=visible_cart_value(h, lines))


def visible_cart_value(h: BasketCompletion, lines: pd.DataFrame | None) -> np.ndarray | None:
    """(n,) value of each query's visible cart: the sum of its lines' ``value`` (unknown = 0), in the
    order of ``h.queries``; None without lines or values."""
    if lines is None or S.VALUE not in lines.columns or not lines[S.VALUE].notna().any():
        return None
    per_item = (lines.groupby([S.BASKET, S.ITEM], observed=True)[S.VALUE].sum().rename("v").reset_index()
                .astype({S.BASKET: str, S.ITEM: str}))
    q = h.queries[["query_id", S.BASKET]].astype({S.BASKET: str})
    cart = h.cart.astype({S.ITEM: str}).merge(q, on="query_id", how="left")
    cart = cart.merge(per_item, on=[S.BASKET, S.ITEM], how="left")
    value = cart.groupby("query_id", observed=True)["v"].sum(min_count=1)
    return h.queries["query_id"].map(value).astype("float64").fillna(0.0).clip(lower=0.0).to_numpy()


def customer_history(train: Interactions, customers: np.ndarray) -> sp.csr_matrix:
    """CSR (n, training items): 1 where the query's customer bought the item in training; empty
    rows for customers unknown to training (index -1)."""
    customers = np.asarray(customers)
    known = customers >= 0
    sel = sp.csr_matrix((np.ones(int(known.sum()), np.float32), (np.flatnonzero(known), customers[known])),
                        shape=(len(customers), train.customer_items.shape[0]))
    out = (sel @ train.customer_items).tocsr()
    out.data[:] = 1.0
    out.eliminate_zeros()
    return out.astype(np.float32)


def _segments(h: BasketCompletion, queries: Queries, train: Interactions) -> pd.DataFrame:
    q = h.queries
    cust = q[S.CUSTOMER]
    status = np.where(cust.isna(), "anonymous", np.where(queries.customers >= 0, "returning", "new"))
    if "n_history_baskets" in q.columns:       # next basket: empty carts; the history's length matters
        nb = pd.cut(q["n_history_baskets"].to_numpy(), [0, 2, 5, 10, 20, np.inf],
                    labels=["1-2", "3-5", "6-10", "11-20", "21+"]).astype(str)
        return pd.DataFrame({"customer": status, "history_baskets": nb},
                            index=pd.Index(q["query_id"].to_numpy(), name="query"))
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


def history_frame(ev: EvalSet) -> pd.DataFrame:
    """query_id, item_id of the items each query's customer bought in training (the HISTORY file of
    `cs-lab evaluate --history`), restricted to items that matter there: the hidden ones."""
    if ev.history is None:
        return pd.DataFrame({"query_id": [], "item_id": []})
    h = ev.history.multiply(ev.truth).tocoo()
    return pd.DataFrame({"query_id": ev.query_ids[h.row], "item_id": ev.eval_items[h.col]})
