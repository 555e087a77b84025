"""Model registry: short names (``als``, ``rules``, ...) -> Recommender classes.

Model modules register themselves with ``@register``; ``build`` turns a config
dict (``{"model": "als", "factors": 64}``) into a model. Importing
``cs_lab.models`` imports every built-in model module.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cs_lab.errors import ConfigError

if TYPE_CHECKING:
    from cs_lab.models.base import Recommender

_REGISTRY: dict[str, type["Recommender"]] = {}


def register(cls: type["Recommender"]) -> type["Recommender"]:
    name = cls.config_class.model_fields["model"].default
    if not isinstance(name, str) or not name:
        raise TypeError(f"{cls.__name__}.config_class must give 'model' a default short name")
    if name in _REGISTRY and _REGISTRY[name] is not cls:
        raise TypeError(f"model name {name!r} registered twice ({_REGISTRY[name].__name__}, {cls.__name__})")
    _REGISTRY[name] = cls
    return cls


def get(name: str) -> type["Recommender"]:
    import cs_lab.models  # noqa: F401  (registers the built-in models)

    try:
        return _REGISTRY[name]
    except KeyError:
        raise ConfigError(f"unknown model {name!r}; known models: {sorted(_REGISTRY)}") from None


def names() -> list[str]:
    import cs_lab.models  # noqa: F401

    return sorted(_REGISTRY)


def build(config: dict[str, Any] | Any, where: str = "model config") -> "Recommender":
    """A model from a config dict (or a ModelConfig instance)."""
    if not isinstance(config, dict):
        return get(config.model)(config)
    if "model" not in config:
        raise ConfigError(f"{where}: missing key 'model' (one of {names()})")
    try:
        cls = get(config["model"])
    except ConfigError as exc:
        raise ConfigError(f"{where}.model: {exc}") from None
    return cls.from_config(config, where=where)
