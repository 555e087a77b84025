"""Experiment specs: YAML files in experiments/ that compose reusable pieces from configs/.

Composition: any mapping with an ``include: <path>`` key is replaced by the YAML file it
names (resolved against the spec's folder, then the repo's configs/ folder), with the
mapping's other keys overriding the included ones. Includes nest.

Validation is strict: an unknown key or a wrong type fails before any work starts,
naming the key path and the file.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from cs_lab.data.splits import UnknownPolicy
from cs_lab.errors import ConfigError
from cs_lab.tuning.space import SearchSpace


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SplitSpec(_Strict):
    """The test period. ``windows`` > 1 = rolling origin: the last ``test_fraction`` of baskets (by
    time) is cut into that many consecutive test windows, each trained on everything before it and
    validated on the end of that training period. With ``task.kind: next_basket`` only ``windows``
    applies: window i of W drops each customer's last W-1-i baskets (docs/tasks.md)."""
    kind: Literal["temporal", "random_baskets"] = "temporal"
    test_fraction: float | None = Field(0.2, gt=0, lt=1)
    cutoff: str | None = None
    windows: int = Field(1, ge=1, le=12)
    seed: int = 0
    unknown: UnknownPolicy = Field(default_factory=UnknownPolicy)

    @model_validator(mode="after")
    def _windows_need_fraction(self):
        if self.windows > 1 and self.cutoff is not None:
            raise ValueError("windows > 1 needs test_fraction, not a single cutoff date")
        return self


class ValidationSpec(_Strict):
    """The tuning split, carved from the end of the training period."""
    test_fraction: float = Field(0.2, gt=0, lt=1)


class TaskSpec(_Strict):
    """``kind: basket_completion`` (default): test baskets split into a cart and hidden items; mode
    item_to_item gives one-item carts ("frequently bought together").
    ``kind: next_basket`` (Li et al. 2023): each customer with >= ``min_baskets`` baskets is a query
    with an empty cart; the truth is their last basket, the history everything before it; the
    validation target is the basket before the last. mode / fraction / min_items do not apply."""
    kind: Literal["basket_completion", "next_basket"] = "basket_completion"
    min_baskets: int = Field(3, ge=2)       # next_basket: baskets a customer needs (history >= min_baskets - 1)
    mode: Literal["leave_one_out", "fraction", "item_to_item"] = "leave_one_out"
    fraction: float = Field(0.5, gt=0, lt=1)
    min_items: int = Field(2, ge=2)
    max_queries: int | None = Field(5000, ge=1)             # per test window; null = every test cart
    max_validation_queries: int | None = Field(2000, ge=1)  # per validation window; null = all
    seed: int = 0
    # candidates never recommended: the cart (always), and with "history" every item the customer
    # bought in the training period -- the cross-sell (explore) task, whose truth is then only the
    # hidden items new to the customer
    exclude: list[Literal["cart", "history"]] = Field(default_factory=lambda: ["cart"])

    @field_validator("exclude")
    @classmethod
    def _cart_always(cls, v):
        if "cart" not in v:
            raise ValueError("the cart is always excluded; list 'cart' (and optionally 'history')")
        return sorted(set(v), key=["cart", "history"].index)

    @property
    def explore(self) -> bool:
        return "history" in self.exclude


class ThresholdSpec(_Strict):
    """The order threshold the threshold metrics measure against (docs/tactics_threshold.md).

    value T in the data's currency; benefit free_delivery (amount = the fee waived) or tier_discount
    (amount = the discount fraction of the whole order); margin_rate = ASSUMED margin / revenue of an
    add-on when the data has no unit cost (null: net_margin only with unit costs)."""

    value: float = Field(gt=0)
    benefit: Literal["free_delivery", "tier_discount"] = "free_delivery"
    amount: float = Field(0.0, ge=0)
    margin_rate: float | None = Field(None, ge=0, le=1)

    @model_validator(mode="after")
    def _tier(self):
        if self.benefit == "tier_discount" and self.amount >= 1:
            raise ValueError(f"amount is a discount fraction for tier_discount (0.05 = 5 %), got {self.amount}")
        return self

    def terms(self):
        from cs_lab.eval.metrics.threshold import ThresholdTerms

        return ThresholdTerms(value=self.value, benefit=self.benefit, amount=self.amount,
                              margin_rate=self.margin_rate)


class MetricsSpec(_Strict):
    ks: list[int] = Field(default_factory=lambda: [5, 10, 20])
    objective: str = "ndcg@10"
    threshold: ThresholdSpec | None = None
    """An order threshold: adds threshold_reached / threshold_crossed / benefit_cost / order_value_lift /
    net_margin @k to every model's metrics."""

    @field_validator("ks")
    @classmethod
    def _ks(cls, v):
        if not v or any(k <= 0 for k in v):
            raise ValueError("ks must be positive integers")
        return sorted(set(v))


class TuningSpec(_Strict):
    """Optuna per tunable model (docs/tuning.md). ``trials``: COMPLETED trials (the first is the
    model's default configuration); ``max_pruned``: how many pruned trials may be replaced by new
    ones (default: as many as ``trials``); ``timeout``: wall-time seconds per model's study (checked
    between trials); ``prune_queries``: validation carts scored for each intermediate (pruning)
    value, null = all of them."""
    trials: int = Field(10, ge=0)
    max_pruned: int | None = Field(None, ge=0)
    timeout: float | None = Field(None, gt=0)
    prune_queries: int | None = Field(2000, ge=1)
    seed: int = 0
    pruning: bool = True
    objectives: list[str] | None = None        # several -> multi-objective (Pareto front)
    storage: str | None = None                 # default: journal file in the run folder


class ModelSpec(_Strict):
    name: str
    config: dict[str, Any]
    search: dict[str, Any] = Field(default_factory=dict)
    trials: int | None = Field(None, ge=0)     # overrides tuning.trials for this model
    timeout: float | None = Field(None, gt=0)  # overrides tuning.timeout for this model (seconds)


class ComparisonSpec(_Strict):
    """The declared decision family: every model against every baseline on the primary objective
    (metrics.objective), with simultaneous (max-T) bootstrap intervals; ``metrics`` are secondary,
    shown with unadjusted intervals and no verdict."""
    baseline: str | None = None                # deprecated single baseline; merged into baselines
    baselines: list[str] = Field(default_factory=list)
    bootstrap: int = Field(1000, ge=100)
    alpha: float = Field(0.05, gt=0, lt=0.5)
    resample: Literal["customers", "baskets"] = "customers"   # cluster bootstrap by default
    metrics: list[str] = Field(default_factory=lambda: ["ndcg@10", "hit_rate@10", "hit_value@10"])

    @property
    def all_baselines(self) -> list[str]:
        return list(dict.fromkeys(([self.baseline] if self.baseline else []) + self.baselines))


class ExperimentSpec(_Strict):
    name: str
    description: str = ""
    dataset: str
    seed: int = 0
    seeds: int = Field(1, ge=1, le=10)     # fits of each seeded model per window (seed, seed+1, ...)
    split: SplitSpec = Field(default_factory=SplitSpec)
    validation: ValidationSpec = Field(default_factory=ValidationSpec)
    task: TaskSpec = Field(default_factory=TaskSpec)
    metrics: MetricsSpec = Field(default_factory=MetricsSpec)
    tuning: TuningSpec = Field(default_factory=TuningSpec)
    models: list[ModelSpec] = Field(min_length=1)
    comparison: ComparisonSpec = Field(default_factory=ComparisonSpec)
    simulation: dict[str, Any] | None = None

    @model_validator(mode="after")
    def _next_basket_fits(self):
        if self.task.kind != "next_basket":
            return self
        if self.split.kind != "temporal":
            raise ValueError("task.kind next_basket orders each customer's baskets by time: split.kind must be "
                             f"'temporal', not {self.split.kind!r}")
        if self.split.cutoff is not None:
            raise ValueError("task.kind next_basket cuts each customer at their own last basket: remove "
                             "split.cutoff (split.windows > 1 = window i drops each customer's last i baskets)")
        if self.simulation is not None:
            raise ValueError("task.kind next_basket: the A/B simulation scores carts, and next-basket queries "
                             "have none; remove the simulation section (simulation: null)")
        return self

    @field_validator("models")
    @classmethod
    def _unique(cls, v):
        names = [m.name for m in v]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise ValueError(f"model names must be unique; repeated: {dup}")
        return v

    def search_space(self, model: ModelSpec) -> SearchSpace:
        return SearchSpace.from_dict(model.search)

    @property
    def spec_hash(self) -> str:
        return hashlib.sha256(json.dumps(self.model_dump(mode="json"), sort_keys=True).encode()).hexdigest()[:12]


def repo_configs_dir() -> Path:
    return Path(__file__).resolve().parents[2] / "configs"


def _resolve(node: Any, base: Path, stack: tuple[Path, ...]) -> Any:
    if isinstance(node, dict):
        if "include" in node:
            ref = str(node["include"])
            target = next((p for p in (base / ref, repo_configs_dir() / ref, Path(ref)) if p.is_file()), None)
            if target is None:
                raise ConfigError(f"{stack[-1]}: include {ref!r} not found (looked in {base} and {repo_configs_dir()})")
            target = target.resolve()
            if target in stack:
                raise ConfigError(f"{stack[-1]}: include cycle through {target}")
            included = _resolve(_read_yaml(target), target.parent, stack + (target,))
            if not isinstance(included, dict):
                raise ConfigError(f"{target}: an included file must hold a mapping")
            rest = {k: _resolve(v, base, stack) for k, v in node.items() if k != "include"}
            return _merge(included, rest)
        return {k: _resolve(v, base, stack) for k, v in node.items()}
    if isinstance(node, list):
        return [_resolve(v, base, stack) for v in node]
    return node


def _merge(a: dict, b: dict) -> dict:
    out = dict(a)
    for k, v in b.items():
        out[k] = _merge(out[k], v) if isinstance(out.get(k), dict) and isinstance(v, dict) else v
    return out


#: a spec's YAML, with every alias expanded, may hold at most this many nodes ("billion laughs")
MAX_YAML_NODES = 100_000


def _safe_load_bounded(text: str, path: Path, max_nodes: int = MAX_YAML_NODES) -> Any:
    """``yaml.safe_load`` that refuses documents whose aliases expand past ``max_nodes`` nodes.

    Composing a YAML graph is cheap (an alias is a shared node), but everything after it walks
    the expanded tree: 9 levels of 9 aliases is 9**9 = 387M nodes. The expanded size is counted
    on the node graph, once per distinct node, before anything is constructed."""
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        sizes: dict[int, int] = {}

        def size(n) -> int:
            key = id(n)
            if key in sizes:
                if sizes[key] < 0:
                    raise ConfigError(f"{path}: a YAML anchor contains an alias to itself (recursive "
                                      f"anchor {getattr(n, 'anchor', '')!r}); remove the self-reference")
                return sizes[key]
            sizes[key] = -1
            if isinstance(n, yaml.MappingNode):
                children = [c for kv in n.value for c in kv]
            elif isinstance(n, yaml.SequenceNode):
                children = n.value
            else:
                children = []
            total = 1
            for c in children:
                total += size(c)
                if total > max_nodes:
                    raise ConfigError(
                        f"{path}: the YAML expands to more than {max_nodes:,} nodes once its aliases "
                        f"(*name) are substituted (an alias bomb?); a spec needs far fewer: reduce the "
                        f"anchors/aliases, or use include: files")
            sizes[key] = total
            return total

        size(node)
        return loader.construct_document(node)
    finally:
        loader.dispose()


def _read_yaml(path: Path) -> Any:
    try:
        return _safe_load_bounded(path.read_text(), path)
    except RecursionError:
        raise ConfigError(f"{path}: YAML nested too deeply; flatten the structure") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from exc
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc}") from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not a UTF-8 text file ({exc.reason} at byte {exc.start})") from None


def load_spec(path: str | Path, overrides: dict[str, Any] | None = None) -> ExperimentSpec:
    """Read, resolve includes, validate. Errors name the file and the key path."""
    path = Path(path).resolve()
    if not path.is_file():
        raise ConfigError(f"{path}: no such experiment spec")
    raw = _resolve(_read_yaml(path), path.parent, (path,))
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: a spec must be a mapping")
    raw = _merge(raw, overrides or {})
    try:
        spec = ExperimentSpec.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(f"{path}: " + "; ".join(_fmt_error(e, raw) for e in exc.errors())) from None
    _check_models(spec, path)
    _check_metrics(spec, path)
    if spec.simulation is not None:
        from cs_lab.experiment.simulation import SimulationSpec

        try:
            sim = SimulationSpec.parse(spec.simulation)
        except ConfigError as exc:
            raise ConfigError(f"{path}: {exc}") from None
        names = {m.name for m in spec.models}
        bad = [a for a in sim.arms if a not in names | {"best", "control"}]
        if bad:
            raise ConfigError(f"{path}: simulation.arms: {bad} are not models of this spec "
                              f"(models: {sorted(names)}, or 'best' / 'control')")
    return spec


def _fmt_error(e: dict, raw: dict) -> str:
    loc = list(e["loc"])
    # name models by their 'name' rather than list position
    if len(loc) >= 2 and loc[0] == "models" and isinstance(loc[1], int):
        try:
            loc[1] = f"[{raw['models'][loc[1]]['name']}]"
        except (KeyError, IndexError, TypeError):
            loc[1] = f"[{loc[1]}]"
    path = ".".join(str(p) for p in loc).replace(".[", "[")
    return f"{path}: {e['msg']}"


def _check_models(spec: ExperimentSpec, path: Path) -> None:
    """Build every model config and check its search space now, before any work starts."""
    from cs_lab.models import registry

    for m in spec.models:
        where = f"{path}: models[{m.name}].config"
        model = registry.build(m.config, where=where)
        try:
            space = spec.search_space(m)
        except ValidationError as exc:
            raise ConfigError(f"{path}: models[{m.name}].search: " + "; ".join(
                f"{'.'.join(map(str, e['loc'][1:]))}: {e['msg']}" for e in exc.errors())) from None
        space.check_against(model.get_params(), f"{path}: models[{m.name}].search")
        space.default_point(model.get_params(), f"{path}: models[{m.name}].search")


def _check_metrics(spec: ExperimentSpec, path: Path) -> None:
    """Objective, tuning objectives and compared metrics are computed metrics at declared cut-offs;
    baselines are models of the spec."""
    from cs_lab.experiment.metric_names import check_metric_names

    ks = spec.metrics.ks
    extra = {}
    if spec.metrics.threshold is not None:
        from cs_lab.eval.metrics.threshold import threshold_metrics

        extra = {type(m).name: type(m) for m in threshold_metrics(spec.metrics.threshold.terms())}
    check_metric_names([spec.metrics.objective], ks, f"{path}: metrics.objective", extra=extra)
    if spec.tuning.objectives:
        check_metric_names(spec.tuning.objectives, ks, f"{path}: tuning.objectives", extra=extra)
    check_metric_names(spec.comparison.metrics, ks, f"{path}: comparison.metrics", extra=extra)
    names = [m.name for m in spec.models]
    for b in spec.comparison.all_baselines:
        if b not in names:
            raise ConfigError(f"{path}: comparison.baselines: {b!r} is not a model of this spec (models: {names})")
