"""The business_rules Recommender: offers from a YAML rule pack, by priority then popularity."""

from __future__ import annotations

from typing import Literal

import numpy as np
import scipy.sparse as sp

from cs_lab.data.interactions import Interactions
from cs_lab.data.queries import Queries
from cs_lab.models.base import Recommender, sparse_from_state, sparse_state
from cs_lab.models.baselines._common import tie_break
from cs_lab.models.business.compile import CompiledRules, compile_rules
from cs_lab.models.business.pack import load_rule_pack
from cs_lab.models.config import ModelConfig
from cs_lab.models.registry import register

PRIORITY_DECIMALS = 6  # priorities are compared after rounding to this many decimals
TIE_SCALE = 1e-7       # popularity tie-break in [0, TIE_SCALE): never crosses a priority step


class BusinessRulesConfig(ModelConfig):
    model: Literal["business_rules"] = "business_rules"
    pack: str
    """Path of the YAML rule pack (relative paths are resolved from the working directory)."""
    level: str | None = None
    """Category level of category rules that name none (overrides the pack's ``level``)."""
    combine: Literal["max", "sum"] = "max"
    """Priority of an item offered by several fired rules: the highest weight, or the sum of weights."""
    tie_break: Literal["popularity", "none"] = "popularity"
    """Order within one priority: training popularity (basket count), or item index."""
    missing: Literal["warn", "error", "ignore"] = "warn"
    """Unknown item ids / category labels in the pack (see cs_lab.models.business.compile)."""


@register
class BusinessRules(Recommender):
    """Candidates are the items offered by the rules that fire on the cart.

    score = priority (rounded to 6 decimals) + popularity tie-break in [0, 1e-7); items no fired
    rule offers are not candidates, so an empty or unmatched cart gets no recommendations (chain a
    ``fallback`` model to fill the list). The compiled rules are saved with the model, so a loaded
    model does not read the YAML again.
    """

    config_class = BusinessRulesConfig

    def _fit(self, train: Interactions) -> None:
        pack = load_rule_pack(self.config.pack)
        self.rules_ = compile_rules(pack, train, source=self.config.pack, level=self.config.level,
                                    missing=self.config.missing)
        self.popularity_ = np.asarray(train.item_popularity(), dtype=np.float64)

    def _fired(self, queries: Queries) -> sp.csr_matrix:
        """(n_queries, n_rules) 1.0 where the rule fires on the cart."""
        r = self.rules_
        counts = (queries.carts @ r.trigger.T).toarray()
        return sp.csr_matrix((counts >= r.min_matches[None, :]).astype(np.float64))

    def priorities(self, queries: Queries) -> np.ndarray:
        """(n_queries, n_items) combined priority of each offered item, 0 where nothing offers it."""
        self._check_fitted()
        r = self.rules_
        fired = self._fired(queries)
        if self.config.combine == "sum":
            return np.asarray((fired @ sp.diags(r.weight) @ r.offer).todense())
        p = np.zeros((len(queries), self.n_items))
        for w in np.unique(r.weight):  # ascending, so a higher weight overwrites a lower one
            sel = np.flatnonzero(r.weight == w)
            rows, cols = (fired[:, sel] @ r.offer[sel]).nonzero()
            p[rows, cols] = w
        return p

    def fired_rules(self, queries: Queries) -> list[list[str]]:
        """Names of the rules that fire on each query's cart."""
        self._check_fitted()
        f = self._fired(queries)
        return [self.rules_.names[f.indices[f.indptr[i]:f.indptr[i + 1]]].tolist() for i in range(len(queries))]

    def _score(self, queries: Queries) -> np.ndarray:
        p = np.round(self.priorities(queries), PRIORITY_DECIMALS)
        if self.config.tie_break == "popularity":
            s = p + TIE_SCALE * tie_break(self.popularity_)[None, :]
        else:
            s = p
        return np.where(p > 0, s, -np.inf)

    def _state(self):
        r = self.rules_
        return {"names": r.names, **sparse_state("trigger", r.trigger), **sparse_state("offer", r.offer),
                "weight": r.weight, "min_matches": r.min_matches, "popularity": self.popularity_}

    def _set_state(self, arrays):
        self.rules_ = CompiledRules(names=arrays["names"].astype(str), trigger=sparse_from_state("trigger", arrays),
                                    offer=sparse_from_state("offer", arrays), weight=arrays["weight"],
                                    min_matches=arrays["min_matches"])
        self.popularity_ = arrays["popularity"]
