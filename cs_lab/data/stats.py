"""Descriptive statistics of a prepared dataset."""

from __future__ import annotations

from typing import Any

import numpy as np

from cs_lab.data import schema as S
from cs_lab.data.dataset import Dataset


def dataset_stats(ds: Dataset) -> dict[str, Any]:
    """Counts, basket-size quantiles, date range and column coverage (JSON-serialisable)."""
    lines = ds.lines
    sizes = ds.basket_sizes().to_numpy()
    q = np.quantile(sizes, [0.1, 0.25, 0.5, 0.75, 0.9, 0.99]) if len(sizes) else [np.nan] * 6
    ts = lines[S.TIMESTAMP]
    cats = S.category_columns(lines)
    anon = lines[S.CUSTOMER].isna()
    out: dict[str, Any] = {
        "dataset": ds.name,
        "raw_rows": ds.report.raw_rows,
        "clean_rows": len(lines),
        "returns_rows": len(ds.returns),
        "baskets": int(lines[S.BASKET].nunique()),
        "anonymous_baskets": int(lines.loc[anon, S.BASKET].nunique()),
        "customers": int(lines[S.CUSTOMER].nunique()),
        "items": int(lines[S.ITEM].nunique()),
        "basket_size": {"mean": float(np.mean(sizes)) if len(sizes) else None,
                        **{f"p{int(p * 100)}": float(v) for p, v in zip([0.1, 0.25, 0.5, 0.75, 0.9, 0.99], q)},
                        "max": int(sizes.max()) if len(sizes) else None},
        "date_min": None if ts.isna().all() else str(ts.min()),
        "date_max": None if ts.isna().all() else str(ts.max()),
        "share_with_price": float(lines[S.UNIT_PRICE].notna().mean()),
        "share_with_cost": float(lines[S.UNIT_COST].notna().mean()) if S.UNIT_COST in lines else 0.0,
        "share_with_category": float(lines[cats[0]].notna().mean()) if cats else 0.0,
        "category_levels": {c: int(lines[c].nunique()) for c in cats},
        "total_value": float(lines[S.VALUE].sum()) if lines[S.VALUE].notna().any() else None,
        "cleaning": ds.report.to_dict()["steps"],
        "source_sha256": ds.source_sha256,
    }
    return out


def format_stats(st: dict[str, Any]) -> str:
    bs = st["basket_size"]
    rows = [
        f"dataset            {st['dataset']}",
        f"raw rows read      {st['raw_rows']:,}",
        f"rows after clean   {st['clean_rows']:,}   (returns table: {st['returns_rows']:,})",
        f"baskets            {st['baskets']:,}   (anonymous: {st['anonymous_baskets']:,})",
        f"customers          {st['customers']:,}",
        f"items              {st['items']:,}",
        "basket size        mean {mean:.2f}  p10 {p10:g}  p25 {p25:g}  median {p50:g}  p75 {p75:g}  "
        "p90 {p90:g}  p99 {p99:g}  max {max}".format(**bs),
        f"date range         {st['date_min']} .. {st['date_max']}",
        f"lines with price   {st['share_with_price']:.1%}",
        f"lines with cost    {st['share_with_cost']:.1%}",
        f"lines w/ category  {st['share_with_category']:.1%}  "
        + "  ".join(f"{k}: {v:,}" for k, v in st["category_levels"].items()),
    ]
    if st["total_value"] is not None:
        rows.append(f"total value        {st['total_value']:,.2f}")
    rows.append("cleaning steps:")
    for s in st["cleaning"]:
        n = s["moved_to_returns"] or s["removed"]
        rows.append(f"  {s['name']:<36} {-n:>10,}" + ("  (to returns)" if s["moved_to_returns"] else ""))
    return "\n".join(rows)
