"""Tables and figures of the dataset report: basket sizes, item popularity, prices and the top
association rules (mined with cs_lab.models.rules on every basket of the dataset)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.colors import LogNorm
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from cs_lab.data import schema as S
from cs_lab.data.dataset import Dataset


def summary(ds: Dataset) -> pd.DataFrame:
    """Headline counts of a prepared dataset as a two-column table."""
    from cs_lab.data.stats import dataset_stats

    st = dataset_stats(ds)
    bs = st["basket_size"]
    rows = [("purchase lines", f"{st['clean_rows']:,}"), ("baskets", f"{st['baskets']:,}"),
            ("customers", f"{st['customers']:,}"), ("items", f"{st['items']:,}"),
            ("basket size (distinct items)", f"mean {bs['mean']:.2f}, median {bs['p50']:g}, p90 {bs['p90']:g}, "
                                             f"max {bs['max']}"),
            ("date range", f"{st['date_min']} .. {st['date_max']}"),
            ("lines with a price", f"{st['share_with_price']:.1%}"),
            ("total value", "" if st["total_value"] is None else f"{st['total_value']:,.2f} currency units")]
    return pd.DataFrame(rows, columns=["statistic", "value"])


def basket_size_figure(sizes: pd.Series | np.ndarray, dataset: str = "", cap_quantile: float = 0.99) -> Figure:
    """Share of baskets by number of distinct items; sizes above the ``cap_quantile`` are pooled
    into one last bar."""
    s = np.asarray(sizes, dtype=np.int64)
    cap = max(int(np.ceil(np.quantile(s, cap_quantile))), 2) if len(s) else 2
    counts = np.bincount(np.minimum(s, cap), minlength=cap + 1)[1:]
    share = 100.0 * counts / max(len(s), 1)
    fig = Figure(figsize=(8, 4), layout="constrained")
    ax = fig.subplots()
    x = np.arange(1, cap + 1)
    ax.bar(x, share, width=0.85, color="tab:blue", label="baskets")
    ax.bar(x[-1], share[-1], width=0.85, color="tab:orange", label=f"{cap} or more items (pooled tail)")
    if len(s):
        ax.axvline(np.mean(s), color="black", ls="--", lw=1.2, label=f"mean {np.mean(s):.2f}")
        ax.axvline(np.median(s), color="tab:red", ls=":", lw=1.5, label=f"median {np.median(s):g}")
    ticks = list(x[:-1]) if cap <= 30 else [t for t in range(10, cap - 4, 10)] + [1]
    ax.set_xticks(ticks + [cap], [str(t) for t in ticks] + [f"{cap}+"])
    ax.set_xlabel("basket size (distinct items per basket)")
    ax.set_ylabel("share of baskets (%)")
    ax.set_title(f"Basket-size distribution{f' of {dataset}' if dataset else ''} ({len(s):,} baskets)")
    ax.grid(axis="y", alpha=0.3)
    ax.legend(fontsize=8)
    return fig


def item_popularity(ds: Dataset) -> pd.DataFrame:
    """Items by number of baskets holding them (most popular first): item_id, baskets, rank,
    cumulative share of all basket-item purchases."""
    pop = ds.lines.groupby(S.ITEM, observed=True, sort=False)[S.BASKET].nunique()
    pop = pop.sort_values(ascending=False, kind="stable")
    out = pd.DataFrame({S.ITEM: pop.index.astype(str), "baskets": pop.to_numpy(dtype=np.int64)})
    out["rank"] = np.arange(1, len(out) + 1)
    out["cum_share"] = out["baskets"].cumsum() / max(int(out["baskets"].sum()), 1)
    return out


def popularity_figure(pop: pd.DataFrame, dataset: str = "", head_share: float = 0.2) -> Figure:
    """Long tail: baskets per item against popularity rank (log-log), and the cumulative share of
    purchases held by the most popular items."""
    fig = Figure(figsize=(11, 4.2), layout="constrained")
    left, right = fig.subplots(1, 2)
    left.loglog(pop["rank"], pop["baskets"], color="tab:blue", lw=1.5, label="items")
    left.set_xlabel("item popularity rank (1 = most popular, log scale)")
    left.set_ylabel("baskets holding the item (log scale)")
    left.set_title("Baskets per item by rank")
    left.grid(alpha=0.3, which="both")
    left.legend(fontsize=8)
    n = len(pop)
    x = 100.0 * pop["rank"].to_numpy() / max(n, 1)
    y = 100.0 * pop["cum_share"].to_numpy()
    right.plot(np.r_[0, x], np.r_[0, y], color="tab:blue", lw=1.8, label="observed")
    right.plot([0, 100], [0, 100], color="grey", ls="--", lw=1, label="every item equally popular")
    if n:
        h = max(int(np.ceil(head_share * n)), 1)
        right.scatter([x[h - 1]], [y[h - 1]], color="tab:red", zorder=3,
                      label=f"top {head_share:.0%} of items: {y[h - 1]:.0f}% of purchases")
    right.set_xlabel("share of items, most popular first (%)")
    right.set_ylabel("cumulative share of basket-item purchases (%)")
    right.set_title("Concentration of purchases")
    right.set_xlim(0, 100)
    right.set_ylim(0, 100)
    right.grid(alpha=0.3)
    right.legend(fontsize=8, loc="lower right")
    fig.suptitle(f"Item popularity long tail{f' of {dataset}' if dataset else ''} ({n:,} items)")
    return fig


def price_figure(ds: Dataset, bins: int = 60, clip: float = 0.001) -> Figure:
    """Unit-price distribution on a log scale: per purchase line and per catalogue item (median).
    Prices outside the [clip, 1 - clip] quantiles of line prices are pooled into the end bins."""
    fig = Figure(figsize=(8, 4), layout="constrained")
    ax = fig.subplots()
    line_price = ds.lines[S.UNIT_PRICE].to_numpy(dtype=float)
    line_price = line_price[np.isfinite(line_price) & (line_price > 0)]
    item_price = ds.catalog[S.PRICE_MEDIAN].to_numpy(dtype=float) if S.PRICE_MEDIAN in ds.catalog else np.array([])
    item_price = item_price[np.isfinite(item_price) & (item_price > 0)]
    if not len(line_price):
        ax.text(0.5, 0.5, "this dataset has no prices", ha="center", va="center", transform=ax.transAxes)
    else:
        lo, hi = np.quantile(line_price, [clip, 1.0 - clip])
        edges = np.geomspace(lo, hi * 1.0001, bins + 1) if hi > lo else np.array([lo * 0.9, lo * 1.1])
        line_price, item_price = np.clip(line_price, lo, hi), np.clip(item_price, lo, hi)
        for values, label, color in ((line_price, f"purchase lines ({len(line_price):,})", "tab:blue"),
                                     (item_price, f"catalogue items, median price ({len(item_price):,})",
                                      "tab:orange")):
            if len(values):
                w = np.full(len(values), 100.0 / len(values))
                ax.hist(values, bins=edges, weights=w, histtype="step", lw=1.8, color=color, label=label)
        med = float(np.median(line_price))
        ax.axvline(med, color="black", ls="--", lw=1, label=f"median line price {med:,.2f}")
        ax.set_xscale("log")
        _plain_log_ticks(ax.xaxis)
        ax.legend(fontsize=8)
    ax.set_xlabel("unit price (currency units, log scale)")
    ax.set_ylabel("share of lines or of items per bin (%)")
    ax.set_title(f"Unit-price distribution of {ds.name}"
                 + (f" (end bins pool the {clip:.1%} tails)" if clip > 0 else ""))
    ax.grid(alpha=0.3)
    return fig


def _plain_log_ticks(axis) -> None:
    """Log-axis tick labels as plain numbers (2, 5, 10) instead of 2 x 10^0."""
    fmt = FuncFormatter(lambda v, _: f"{v:g}")
    axis.set_major_formatter(fmt)
    axis.set_minor_formatter(FuncFormatter(lambda v, _: f"{v:g}" if v > 0 and round(v / 10 ** np.floor(np.log10(v)))
                                           in (2, 5) else ""))


def item_labels(ds: Dataset, ids: np.ndarray) -> np.ndarray:
    """'item_id (description)' where the catalog has a description, else 'item_id [finest category]'
    when it has categories, else the item id."""
    cat = ds.catalog.set_index(S.ITEM)
    text = None
    if S.DESCRIPTION in cat and cat[S.DESCRIPTION].notna().any():
        text, fmt = cat[S.DESCRIPTION], "{} ({})"
    else:
        levels = [c for c in S.CATEGORY_LEVELS if c in cat and cat[c].notna().any()]
        if levels:
            text, fmt = cat[levels[-1]], "{} [{}]"
    ids = np.asarray(ids).astype(str)
    if text is None:
        return ids.astype(object)
    t = text.reindex(ids).to_numpy(dtype=object, na_value=None)
    return np.array([fmt.format(i, d) if isinstance(d, str) and d and d != i else i for i, d in zip(ids, t)],
                    dtype=object)


def mine_rules(ds: Dataset, min_support: float = 0.01, min_confidence: float = 0.1, max_len: int = 3):
    """Frequent itemsets (FP-Growth) and single-consequent rules over every basket of ``ds``;
    returns (AssociationRules, item ids of the basket x item matrix)."""
    from cs_lab.data.interactions import Interactions
    from cs_lab.models.rules import association_rules, fpgrowth

    inter = Interactions.from_lines(ds.lines)
    sets = fpgrowth(inter.basket_items, min_support=min_support, max_len=max_len)
    return association_rules(sets, min_confidence=min_confidence, consequents="single"), inter.items.ids


def rules_frame(rules, labels: np.ndarray, top: int | None = None, by: str = "lift") -> pd.DataFrame:
    """Rules best ``by`` first (all, or the ``top`` ones): antecedent, consequent (item labels),
    support, confidence, lift and the number of baskets holding the whole rule."""
    order = rules.top(len(rules) if top is None else top, by=by)
    s = rules.itemsets
    lab = np.asarray(labels, dtype=object)
    text = {}
    for col, set_ids in (("antecedent", rules.antecedent[order]), ("consequent", rules.consequent[order])):
        offsets, items = s.gather(set_ids)
        text[col] = [" + ".join(lab[items[a:b]]) for a, b in zip(offsets[:-1].tolist(), offsets[1:].tolist())]
    return pd.DataFrame({**text, "support": rules.support[order], "confidence": rules.confidence[order],
                         "lift": rules.lift[order], "baskets": rules.count[order].astype(np.int64)})


def rules_figure(table: pd.DataFrame, min_support: float, min_confidence: float, dataset: str = "",
                 max_points: int = 20000, seed: int = 0) -> Figure:
    """Every mined rule as a point: support (x, log) against confidence (y), coloured by lift."""
    fig = Figure(figsize=(8, 4.6), layout="constrained")
    ax = fig.subplots()
    if table.empty:
        ax.text(0.5, 0.5, f"no rule at min_support={min_support:g}, min_confidence={min_confidence:g}",
                ha="center", va="center", transform=ax.transAxes)
    else:
        t = table.sample(max_points, random_state=seed) if len(table) > max_points else table
        t = t.sort_values("lift")
        lift = t["lift"].to_numpy(float)
        norm = LogNorm(max(lift.min(), 1e-3), max(lift.max(), lift.min() * 1.01, 1e-3))
        pts = ax.scatter(100 * t["support"], 100 * t["confidence"], c=lift, cmap="viridis", norm=norm, s=14,
                         label=f"rules ({len(table):,}{', sampled' if len(t) < len(table) else ''})")
        bar = fig.colorbar(pts, ax=ax, label="lift (confidence / consequent support, log scale)")
        _plain_log_ticks(bar.ax.yaxis)
        ax.set_xscale("log")
        _plain_log_ticks(ax.xaxis)
        ax.legend(fontsize=8, loc="best")
    ax.set_xlabel("support (% of baskets holding antecedent and consequent, log scale)")
    ax.set_ylabel("confidence (% of antecedent baskets with the consequent)")
    ax.set_title(f"Association rules{f' of {dataset}' if dataset else ''} "
                 f"(min support {min_support:g}, min confidence {min_confidence:g})")
    ax.grid(alpha=0.3, which="both")
    return fig
