"""``SimulationConfig``: the typed ``simulation:`` section of an experiment spec.

Every number of the offline A/B simulation lives here, validated on construction
(unknown keys are rejected). The acceptance model these fields drive is described
in docs/simulation.md.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from cs_lab.errors import ConfigError

Examination = Literal["log", "geometric", "uniform", "custom"]
Metric = Literal["conversion", "offer_conversion", "incremental_conversion", "addon_revenue", "incremental_revenue",
                 "order_value", "margin", "net_margin", "threshold_reached"]
DEFAULT_METRICS: tuple[str, ...] = ("incremental_conversion", "conversion", "offer_conversion", "incremental_revenue",
                                    "addon_revenue", "order_value", "margin")


class SimulationConfig(BaseModel):
    """Offline A/B simulation settings.

    Arms and assignment
        arms        arm names in assignment order (None: the order of the ``arms`` mapping given to
                    ``simulate``). The order matters: arm i gets the hash interval of weight i.
        weights     relative traffic per arm (None: equal split).
        control     the arm every other arm is compared with. It may be a policy (B vs A) or
                    "no offer"; a control missing from the arms mapping is added as "no offer".
    Acceptance model (see docs/simulation.md)
        slots        K, display slots: only the first K recommendations are shown.
        examination  position curve: "log" 1/log2(pos+1), "geometric" gamma**(pos-1),
                     "uniform" 1, or "custom" ``examination_weights`` (one per slot).
        take_rate    P(accept | hidden item offered and examined).
        organic_rate P(a hidden item is bought without an offer).
    Statistics
        n_bootstrap  Poisson-bootstrap resamples (0 = analytic intervals only).
        ci_method    which interval ``to_json`` reports as the headline ("bootstrap" or "analytic").
        alpha        two-sided level: intervals are (1 - alpha) and p < alpha is "significant".
        cuped        also report CUPED-adjusted lifts using the per-session ``covariate`` column.
        metrics      outcomes to compare ("margin" is skipped when costs are unknown).
        counterfactual  also evaluate every session under every arm (paired, no assignment
                     noise): ``SimulationResult.counterfactual``.
    Rates and their uncertainty (docs/simulation.md, "Rates and priors")
        rates        "fixed": examination / take_rate / organic_rate as configured; "priors": examination
                     and take rate from the priors (cs_lab.simulate.priors; setting take_rate or an
                     examination key then is an error).
        rate_draws   B parameter-bootstrap draws: each draw takes the rates from their priors (and the
                     organic model's coefficients from their sampling distribution) together with one
                     Poisson resample of customers, so the reported intervals carry sampling AND rate
                     uncertainty; also gives P(B beats A) and the ranking's stability. 0 = off.
        assignment   "customer": every session of a customer in one arm (the hash of the customer id;
                     anonymous sessions by their own id), resampled and tested by customer (cluster);
                     "session": each session on its own (the pre-issue-15 behaviour).
    Tactics (cs_lab.simulate.tactics: bundle discounts and order thresholds, carried by ``Arm``)
        margin_rate  ASSUMED margin / revenue of an add-on, used for net_margin when the data has no
                     unit cost (None: net_margin only with unit costs).
        discount_response  r: a slot discount d scales P(accept) by (1 + r d); None = the prior
                     ``assumption.discount_response`` (drawn in the parameter bootstrap).
    seed             drives assignment, acceptance draws, rate draws and the bootstrap.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    arms: list[str] | None = None
    weights: list[float] | None = None
    control: str = "control"
    slots: int = Field(5, ge=1, le=1000)
    examination: Examination = "log"
    gamma: float = Field(0.7, gt=0.0, le=1.0)
    examination_weights: list[float] | None = None
    take_rate: float = Field(0.3, ge=0.0, le=1.0)
    organic_rate: float = Field(0.2, ge=0.0, le=1.0)
    n_bootstrap: int = Field(1000, ge=0)
    ci_method: Literal["bootstrap", "analytic"] = "bootstrap"
    alpha: float = Field(0.05, gt=0.0, lt=1.0)
    cuped: bool = False
    covariate: str = "pre_period_spend"
    metrics: list[Metric] = Field(default_factory=lambda: list(DEFAULT_METRICS))
    counterfactual: bool = True
    rates: Literal["fixed", "priors"] = "fixed"
    rate_draws: int = Field(0, ge=0, le=20000)
    assignment: Literal["customer", "session"] = "customer"
    margin_rate: float | None = Field(None, ge=0.0, le=1.0)
    discount_response: float | None = Field(None, ge=0.0)
    seed: int = 0

    @model_validator(mode="after")
    def _check(self) -> SimulationConfig:
        if self.arms is not None:
            if len(set(self.arms)) != len(self.arms):
                raise ValueError(f"arms has duplicated names: {self.arms}")
            if len(self.arms) < 2:
                raise ValueError(f"arms needs at least two arms (a control and a treatment), got {self.arms}")
            if self.control not in self.arms:
                raise ValueError(f"control {self.control!r} is not among arms {self.arms}")
        if self.weights is not None:
            if any(not (w > 0) for w in self.weights):
                raise ValueError(f"weights must all be > 0, got {self.weights}")
            if self.arms is not None and len(self.weights) != len(self.arms):
                raise ValueError(f"weights has {len(self.weights)} entries but arms has {len(self.arms)}")
        if self.examination == "custom":
            w = self.examination_weights
            if w is None or len(w) < self.slots:
                raise ValueError(f"examination='custom' needs examination_weights with >= slots={self.slots} "
                                 f"values, got {w}")
            if any(not 0.0 <= x <= 1.0 for x in w):
                raise ValueError(f"examination_weights must be probabilities in [0, 1], got {w}")
        elif self.examination_weights is not None:
            raise ValueError("examination_weights is only used with examination='custom'")
        if self.rates == "priors":
            fixed = sorted({"take_rate", "examination", "gamma", "examination_weights"} & self.model_fields_set)
            if fixed:
                raise ValueError(f"{fixed} conflict with rates='priors' (the take rate and the examination curve "
                                 "come from the priors): remove them, or set rates: fixed")
        if self.ci_method == "bootstrap" and self.n_bootstrap == 0:
            raise ValueError("ci_method='bootstrap' needs n_bootstrap > 0 (or set ci_method='analytic')")
        return self

    @classmethod
    def from_dict(cls, data: dict[str, Any], where: str = "simulation") -> SimulationConfig:
        """Validate a spec section; errors become one ConfigError naming each key path."""
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            problems = "; ".join(f"{where}.{'.'.join(str(p) for p in e['loc']) or '<root>'}: {e['msg']}"
                                 for e in exc.errors())
            raise ConfigError(problems) from None

    def examination_curve(self) -> np.ndarray:
        """P(examined) for slots 1..K, shape (slots,)."""
        pos = np.arange(1, self.slots + 1, dtype=np.float64)
        if self.examination == "log":
            return 1.0 / np.log2(pos + 1.0)
        if self.examination == "geometric":
            return self.gamma ** (pos - 1.0)
        if self.examination == "uniform":
            return np.ones(self.slots)
        return np.asarray(self.examination_weights[: self.slots], dtype=np.float64)  # type: ignore[index]

    def accept_probability(self) -> np.ndarray:
        """P(accept | the offered item is a hidden item) per slot = examination(pos) * take_rate."""
        return self.examination_curve() * self.take_rate
