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
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from cs_lab.data.splits import UnknownPolicy
from cs_lab.errors import ConfigError
from cs_lab.tuning.space import SearchSpace


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SplitSpec(_Strict):
    kind: Literal["temporal", "random_baskets"] = "temporal"
    test_fraction: float | None = 0.2
    cutoff: str | None = None
    seed: int = 0
    unknown: UnknownPolicy = Field(default_factory=UnknownPolicy)


class ValidationSpec(_Strict):
    """The tuning split, carved from the end of the training period."""
    test_fraction: float = 0.2


class TaskSpec(_Strict):
    """Basket completion; mode item_to_item gives one-item carts ("frequently bought together")."""
    mode: Literal["leave_one_out", "fraction", "item_to_item"] = "leave_one_out"
    fraction: float = 0.5
    min_items: int = 2
    max_queries: int | None = 5000
    max_validation_queries: int | None = 2000
    seed: int = 0


class MetricsSpec(_Strict):
    ks: list[int] = Field(default_factory=lambda: [5, 10, 20])
    objective: str = "ndcg@10"

    @field_validator("ks")
    @classmethod
    def _ks(cls, v):
        if not v or any(k <= 0 for k in v):
            raise ValueError("ks must be positive integers")
        return sorted(set(v))


class TuningSpec(_Strict):
    trials: int = 10
    timeout_s: float | None = None
    seed: int = 0
    pruning: bool = True
    objectives: list[str] | None = None        # several -> multi-objective (Pareto front)
    storage: str | None = None                 # default: journal file in the run folder


class ModelSpec(_Strict):
    name: str
    config: dict[str, Any]
    search: dict[str, Any] = Field(default_factory=dict)
    trials: int | None = None                  # overrides tuning.trials for this model


class ComparisonSpec(_Strict):
    baseline: str | None = None
    bootstrap: int = 1000
    alpha: float = 0.05
    metrics: list[str] = Field(default_factory=lambda: ["ndcg@10", "hit_rate@10", "revenue@10"])


class ExperimentSpec(_Strict):
    name: str
    description: str = ""
    dataset: str
    seed: int = 0
    split: SplitSpec = Field(default_factory=SplitSpec)
    validation: ValidationSpec = Field(default_factory=ValidationSpec)
    task: TaskSpec = Field(default_factory=TaskSpec)
    metrics: MetricsSpec = Field(default_factory=MetricsSpec)
    tuning: TuningSpec = Field(default_factory=TuningSpec)
    models: list[ModelSpec] = Field(min_length=1)
    comparison: ComparisonSpec = Field(default_factory=ComparisonSpec)
    simulation: dict[str, Any] | None = None

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
