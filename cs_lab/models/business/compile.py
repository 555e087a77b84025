"""Resolve a validated rule pack against training data: ids and category labels -> item index sets.

Unknown ids policy (``missing``):
  warn    (default) drop the unknown ids, emit one RulePackWarning that names the pack file, each
          rule's key path and the unknown ids, and leave rules with nothing left to match or offer
          inactive. A pack is written for a whole dataset while a training window may lack some
          items (seasonal lines, discontinued products), so this is not an error by default.
  error   raise ConfigError with the same message.
  ignore  drop them silently.
Always errors: a category level the data does not have, and (unless ``ignore``) a pack of which
no rule is left active, which means the pack does not belong to this data.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Literal

import numpy as np
import scipy.sparse as sp

from cs_lab.data.interactions import Interactions
from cs_lab.errors import ConfigError
from cs_lab.models.business.pack import CategoryRule, ItemRule, Match, OfferRule, RulePack, RulePackWarning

Missing = Literal["warn", "error", "ignore"]


@dataclass
class CompiledRules:
    """Active rules as item-index matrices. A rule fires when the cart holds at least
    ``min_matches`` of its trigger items; it then offers its offer items with its weight."""

    names: np.ndarray          # (n_rules,) str
    trigger: sp.csr_matrix     # (n_rules, n_items) 1.0 = this item triggers the rule
    offer: sp.csr_matrix       # (n_rules, n_items) 1.0 = the rule offers this item
    weight: np.ndarray         # (n_rules,) float64 > 0
    min_matches: np.ndarray    # (n_rules,) int64 >= 1

    @property
    def n_rules(self) -> int:
        return len(self.names)


class _Resolver:
    def __init__(self, train: Interactions, pack: RulePack, source: str, level: str | None) -> None:
        self.train, self.pack, self.source = train, pack, source
        self.default_level = level or pack.level
        self.unknown: list[str] = []
        self._code_of: dict[str, dict[str, int]] = {}

    def items(self, ids: list[str], where: str) -> np.ndarray:
        idx = self.train.items.index(np.asarray(ids, dtype=object)) if ids else np.zeros(0, np.int64)
        bad = [i for i, j in zip(ids, idx) if j < 0]
        if bad:
            self.unknown.append(f"{where}: unknown item id(s) {bad}")
        return np.unique(idx[idx >= 0])

    def categories(self, level: str | None, labels: list[str], where: str) -> np.ndarray:
        if level is None:
            raise ConfigError(f"{self.source}: {where}: no category level: give 'level' in the rule, in the pack or "
                              "in the model config")
        if level not in self.train.item_categories:
            raise ConfigError(f"{self.source}: {where}: the training data has no category level {level!r} "
                              f"(levels: {sorted(self.train.item_categories) or 'none'})")
        if level not in self._code_of:
            self._code_of[level] = {str(lab): c for c, lab in enumerate(self.train.category_names[level])}
        code_of = self._code_of[level]
        bad = [lab for lab in labels if lab not in code_of]
        if bad:
            self.unknown.append(f"{where}: unknown {level} label(s) {bad}")
        codes = [code_of[lab] for lab in labels if lab in code_of]
        return np.flatnonzero(np.isin(self.train.item_categories[level], codes))

    def match(self, m: Match, where: str) -> np.ndarray:
        parts = [self.items(m.items, f"{where}.items")]
        for level, labels in m.categories.items():
            parts.append(self.categories(level, labels, f"{where}.categories.{level}"))
        return np.unique(np.concatenate(parts))


def compile_rules(pack: RulePack, train: Interactions, *, source: str = "<rule pack>", level: str | None = None,
                  missing: Missing = "warn") -> CompiledRules:
    """Turn ``pack`` into item-index matrices over ``train.items`` (see the module doc for ``missing``)."""
    r = _Resolver(train, pack, source, level)
    names: list[str] = []
    triggers: list[np.ndarray] = []
    offers: list[np.ndarray] = []
    weights: list[float] = []
    mins: list[int] = []
    inactive: list[str] = []

    def add(name: str, trig: np.ndarray, off: np.ndarray, w: float, k: int, where: str) -> None:
        if len(trig) < k or len(off) == 0:
            inactive.append(where)
            return
        names.append(name)
        triggers.append(trig)
        offers.append(off)
        weights.append(w)
        mins.append(k)

    for i, rule in enumerate(pack.rules):
        where = f"rules[{i}]"
        name = rule.name or where
        if isinstance(rule, ItemRule):
            a, b = r.items(rule.if_items, f"{where}.if_items"), r.items(rule.offer_items, f"{where}.offer_items")
        elif isinstance(rule, CategoryRule):
            lvl = rule.level or r.default_level
            a = r.categories(lvl, rule.if_categories, f"{where}.if_categories")
            b = r.categories(lvl, rule.offer_categories, f"{where}.offer_categories")
        else:
            assert isinstance(rule, OfferRule)
            a, b = r.match(rule.when, f"{where}.when"), r.match(rule.offer, f"{where}.offer")
        k = rule.min_matches if isinstance(rule, OfferRule) else 1
        add(name, a, b, rule.weight, k, where)
        if getattr(rule, "symmetric", False):
            add(f"{name} (reverse)", b, a, rule.weight, 1, f"{where} (reverse)")

    if r.unknown or inactive:
        text = f"{source}: rule pack {pack.name!r} vs the training data: " + "; ".join(r.unknown)
        if inactive:
            text += ("; " if r.unknown else "") + f"inactive (nothing left to match or offer): {', '.join(inactive)}"
        if missing == "error" and r.unknown:
            raise ConfigError(text + ". Fix the ids or set missing='warn'")
        if missing != "ignore" and not names:
            raise ConfigError(text + ". No rule of the pack applies to this data: is it the right pack?")
        if missing != "ignore":
            warnings.warn(text, RulePackWarning, stacklevel=3)

    n = train.n_items

    def matrix(sets: list[np.ndarray]) -> sp.csr_matrix:
        rows = np.repeat(np.arange(len(sets)), [len(s) for s in sets]) if sets else np.zeros(0, np.int64)
        cols = np.concatenate(sets) if sets else np.zeros(0, np.int64)
        return sp.csr_matrix((np.ones(len(cols)), (rows, cols)), shape=(len(sets), n))

    return CompiledRules(names=np.asarray(names, dtype=str), trigger=matrix(triggers), offer=matrix(offers),
                         weight=np.asarray(weights, dtype=np.float64), min_matches=np.asarray(mins, dtype=np.int64))
