"""``SimulationResult``: per-session outcomes, per-arm summary, lift table, JSON export."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from cs_lab.simulate.config import SimulationConfig

ARM_COLUMNS = ("arm", "n", "share", "conversion", "offer_conversion", "addons_per_session",
               "revenue_per_session", "offer_revenue_per_session", "order_value", "margin_per_session",
               "offers_per_session")


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

    def headline(self) -> pd.DataFrame:
        """Lift rows of the configured ``ci_method`` (CUPED rows when cuped is on)."""
        want = self.config.ci_method
        methods = ({"bootstrap"} if want == "bootstrap" else {"z-test", "welch"})
        if self.config.cuped:
            methods = {f"cuped-{'bootstrap' if want == 'bootstrap' else 'welch'}"}
        return self.lift[self.lift["method"].isin(methods)].reset_index(drop=True)

    def to_dict(self) -> dict:
        arms = {r["arm"]: {k: _clean(v) for k, v in r.items() if k != "arm"}
                for r in self.arms.to_dict(orient="records")}
        keep = ["arm", "control", "metric", "method", "abs_lift", "abs_ci_low", "abs_ci_high", "rel_lift",
                "rel_ci_low", "rel_ci_high", "p_value", "p_holm", "significant", "variance_reduction"]
        lift = [{k: _clean(r[k]) for k in keep} for r in self.lift.to_dict(orient="records")]
        head = [{k: _clean(r[k]) for k in keep} for r in self.headline().to_dict(orient="records")]
        cf = [{k: _clean(v) for k, v in r.items()} for r in self.counterfactual.to_dict(orient="records")]
        return {"config": self.config.model_dump(mode="json"), "arms": arms, "headline": head,
                "lift": lift, "counterfactual": cf, "notes": list(self.notes)}

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
