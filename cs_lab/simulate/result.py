"""``SimulationResult``: per-session outcomes, per-arm summary, lift table, JSON export."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from cs_lab.simulate.config import SimulationConfig

ARM_COLUMNS = ("arm", "n", "share", "conversion", "offer_conversion", "addons_per_session",
               "revenue_per_session", "offer_revenue_per_session", "order_value", "margin_per_session",
               "offers_per_session", "net_margin_per_session", "threshold_reached", "benefit_cost_per_session",
               "discount_cost_per_session")


@dataclass
class SimulationResult:
    """per_session  one row per session: query_id, customer_id, arm, cart_value, n_hidden and the
                    outcomes (n_offered, n_offered_hidden, n_accepted, n_organic, n_addons,
                    converted, offer_converted, addon_revenue, offer_revenue, order_value, margin)
    arms         one row per arm (ARM_COLUMNS); means over the arm's sessions
    lift         one row per (arm, metric, method): see cs_lab.simulate.stats.lift
    notes        what was skipped and why (e.g. margin without costs)
    counterfactual  every session under every arm, compared paired with the control: the effect
                 the acceptance model predicts without assignment noise (see
                 cs_lab.simulate.counterfactual); empty when config.counterfactual is off"""

    per_session: pd.DataFrame
    arms: pd.DataFrame
    lift: pd.DataFrame
    config: SimulationConfig
    notes: list[str] = field(default_factory=list)
    counterfactual: pd.DataFrame = field(default_factory=pd.DataFrame)
    draws: Any = None
    rates: Any = None
    organic_source: str = "constant organic_rate"

    def headline(self) -> pd.DataFrame:
        """Lift rows of the configured ``ci_method`` (CUPED rows when cuped is on)."""
        if (self.lift["method"] == "bootstrap+rates").any():
            return self.lift[self.lift["method"] == "bootstrap+rates"].reset_index(drop=True)
        want = self.config.ci_method
        methods = ({"bootstrap"} if want == "bootstrap" else {"z-test", "welch", "cluster-z"})
        if self.config.cuped:
            methods = ({"cuped-bootstrap"} if want == "bootstrap" else {"cuped-welch", "cuped-cluster-z"})
        return self.lift[self.lift["method"].isin(methods)].reset_index(drop=True)

    def to_dict(self) -> dict:
        arms = {r["arm"]: {k: _clean(v) for k, v in r.items() if k != "arm"}
                for r in self.arms.to_dict(orient="records")}
        keep = ["arm", "control", "metric", "method", "abs_lift", "abs_ci_low", "abs_ci_high", "rel_lift",
                "rel_ci_low", "rel_ci_high", "p_value", "p_holm", "significant", "variance_reduction", "p_note"]
        lift = [{k: _clean(r[k]) for k in keep} for r in self.lift.to_dict(orient="records")]
        head = [{k: _clean(r[k]) for k in keep} for r in self.headline().to_dict(orient="records")]
        cf = [{k: _clean(v) for k, v in r.items()} for r in self.counterfactual.to_dict(orient="records")]
        out = {"config": self.config.model_dump(mode="json"), "arms": arms, "headline": head,
               "lift": lift, "counterfactual": cf, "notes": list(self.notes), "organic": self.organic_source}
        if self.rates is not None:
            out["rates"] = [{k: _clean(v) for k, v in r.items()} for r in self.rates.sources.to_dict(orient="records")]
        if self.draws is not None:
            d = self.draws
            out["draws"] = {"n": d.n_draws, "level": d.level,
                            "arms": [{k: _clean(v) for k, v in r.items()} for r in d.arms.to_dict(orient="records")],
                            "pairs": [{k: _clean(v) for k, v in r.items()} for r in d.pairs.to_dict(orient="records")],
                            "ranking": [{k: (v if isinstance(v, dict) else _clean(v)) for k, v in r.items()}
                                        for r in d.ranking.to_dict(orient="records")]}
        return out

    def to_json(self, path: str | Path | None = None, indent: int = 2) -> str:
        """JSON text (NaN -> null); also written to ``path`` when given."""
        text = json.dumps(self.to_dict(), indent=indent, allow_nan=False)
        if path is not None:
            Path(path).write_text(text)
        return text


def _clean(v):
    if hasattr(v, "item"):
        v = v.item()
    if isinstance(v, float) and not math.isfinite(v):
        return None
    return v
