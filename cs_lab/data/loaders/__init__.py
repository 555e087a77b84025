"""Dataset loaders by name."""

from __future__ import annotations

from cs_lab.data.loaders.base import Cleaned, Loader, Source
from cs_lab.data.loaders.complete_journey import CompleteJourney
from cs_lab.data.loaders.groceries import Groceries
from cs_lab.data.loaders.online_retail import OnlineRetail
from cs_lab.data.loaders.online_retail_ii import OnlineRetailII
from cs_lab.data.loaders.ta_feng import TaFeng
from cs_lab.errors import ConfigError

LOADERS: dict[str, type[Loader]] = {
    c.name: c for c in (OnlineRetail, OnlineRetailII, Groceries, TaFeng, CompleteJourney)
}


def get_loader(name: str) -> Loader:
    try:
        return LOADERS[name]()
    except KeyError:
        raise ConfigError(f"unknown dataset {name!r}; known: {sorted(LOADERS)} "
                          "(or use a custom dataset: a CSV/Parquet file with a YAML column mapping)") from None


__all__ = ["LOADERS", "Cleaned", "Loader", "Source", "get_loader"]
