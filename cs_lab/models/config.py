"""Typed model configs and the flat dotted-parameter bridge (configs <-> Optuna <-> MLflow)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from cs_lab.errors import ConfigError


class ModelConfig(BaseModel):
    """Base of every model's config: unknown keys are rejected, values validated on construction.

    ``model`` is the registry name; ``seed`` drives every random choice of the model.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, protected_namespaces=())

    model: str
    seed: int = 0


def flatten(d: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """{'a': {'b': 1}} -> {'a.b': 1}."""
    out: dict[str, Any] = {}
    for k, v in d.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict):
            out.update(flatten(v, key + "."))
        else:
            out[key] = v
    return out


def unflatten(flat: dict[str, Any]) -> dict[str, Any]:
    """{'a.b': 1} -> {'a': {'b': 1}}."""
    out: dict[str, Any] = {}
    for key, v in flat.items():
        node = out
        parts = key.split(".")
        for p in parts[:-1]:
            node = node.setdefault(p, {})
        node[parts[-1]] = v
    return out


def validate_config(cls: type[ModelConfig], data: dict[str, Any], where: str = "model config") -> ModelConfig:
    """Build ``cls`` from ``data``; a ValidationError becomes a ConfigError naming each key path."""
    try:
        return cls.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join([where, *(str(p) for p in e['loc'])])}: {e['msg']}" for e in exc.errors())
        raise ConfigError(problems) from None
