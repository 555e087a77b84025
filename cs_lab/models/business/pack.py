"""Rule packs: hand-written cross-sell rules in YAML, validated with pydantic.

A pack (see docs/business_rules.md)::

    name: complete_journey
    level: category_2                  # default level of category rules
    rules:
      - kind: item                     # any of these items in the cart -> offer those items
        if_items: ["22382"]
        offer_items: ["22629", "22630"]
        symmetric: true                # and the other way round
      - kind: category                 # any item of these categories -> items of those categories
        if_categories: [DRY NOODLES/PASTA]
        offer_categories: [PASTA SAUCE]
        weight: 2
      - kind: offer                    # with X offer Y: conditions and offers mix items and levels
        when: {categories: {category_2: [HOT DOGS]}}
        offer: {categories: {category_3: [HOT DOG BUNS]}}
        min_matches: 1

Unknown keys, a missing field, a bad kind or a non-positive weight raise ConfigError naming the
file and the key path (``rules[3].offer_itmes``). Whether the ids exist is only known against
data: see ``cs_lab.models.business.compile``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal, Union

import yaml
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, model_validator

from cs_lab.errors import ConfigError, CsLabWarning


class RulePackWarning(CsLabWarning):
    """A rule pack names ids or categories the training data does not know (rules left inactive)."""


def _as_str_list(v: Any) -> Any:
    """A scalar becomes a one-element list; numbers become strings (YAML reads 22423 as an int)."""
    if v is None:
        return []
    if isinstance(v, (str, int, float)) and not isinstance(v, bool):
        v = [v]
    if isinstance(v, (list, tuple)):
        return [str(x) if isinstance(x, (int, float)) and not isinstance(x, bool) else x for x in v]
    return v


Ids = Annotated[list[str], BeforeValidator(_as_str_list)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _Rule(_Strict):
    name: str | None = None
    """Free text shown in warnings and by ``BusinessRules.fired_rules``."""
    weight: float = Field(1.0, gt=0, le=1e6)
    """Priority: offers of higher-weight rules rank first."""


class ItemRule(_Rule):
    kind: Literal["item"]
    if_items: Ids = Field(min_length=1)
    offer_items: Ids = Field(min_length=1)
    symmetric: bool = False


class CategoryRule(_Rule):
    kind: Literal["category"]
    level: str | None = None
    """Category level (category_1 .. category_3); defaults to the pack's (or the model's) level."""
    if_categories: Ids = Field(min_length=1)
    offer_categories: Ids = Field(min_length=1)
    symmetric: bool = False


class Match(_Strict):
    """A set of items: listed ids plus every item in the listed categories (level -> labels)."""

    items: Ids = []
    categories: dict[str, Ids] = {}

    @model_validator(mode="after")
    def _not_empty(self) -> "Match":
        if not self.items and not any(self.categories.values()):
            raise ValueError("give 'items' and/or 'categories' (level -> labels)")
        return self


class OfferRule(_Rule):
    kind: Literal["offer"]
    when: Match
    offer: Match
    min_matches: int = Field(1, ge=1)
    """Fires when at least this many distinct cart items match ``when``."""


Rule = Annotated[Union[ItemRule, CategoryRule, OfferRule], Field(discriminator="kind")]
KINDS = ("item", "category", "offer")


class RulePack(_Strict):
    name: str
    description: str = ""
    dataset: str | None = None
    """The dataset the ids refer to (documentation; not enforced)."""
    level: str | None = None
    """Default level of category rules that give none."""
    rules: list[Rule] = Field(min_length=1)


def _path(loc: tuple) -> str:
    out = ""
    for i, p in enumerate(loc):
        if isinstance(p, int):
            out += f"[{p}]"
        elif i > 0 and isinstance(loc[i - 1], int) and p in KINDS:
            continue  # the discriminator tag pydantic inserts after a rule's index
        else:
            out += ("." if out else "") + str(p)
    return out or "<top level>"


def parse_rule_pack(data: Any, source: str = "<rule pack>") -> RulePack:
    """Validate already-loaded YAML data; errors name ``source`` and each key path."""
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: a rule pack is a mapping with 'name' and 'rules', got {type(data).__name__}")
    try:
        return RulePack.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(f"{_path(tuple(e['loc']))}: {e['msg']}" for e in exc.errors())
        raise ConfigError(f"{source}: invalid rule pack: {problems}") from None


def load_rule_pack(path: str | Path) -> RulePack:
    """Read and validate a YAML rule pack."""
    path = Path(path)
    if not path.is_file() and not path.is_absolute():
        # relative paths: from the working directory, else from the repository root (configs/rules/...)
        repo = Path(__file__).resolve().parents[3] / path
        if repo.is_file():
            path = repo
    if not path.is_file():
        raise ConfigError(f"rule pack {path} not found (relative paths are resolved from {Path.cwd()} "
                          "and from the repository root)")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        raise ConfigError(f"{path}{where}: not valid YAML: {getattr(exc, 'problem', exc)}") from None
    return parse_rule_pack(data, str(path))
