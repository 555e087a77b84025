"""Baselines: random, popularity, category popularity, personal frequency, personal + fallback."""

from cs_lab.models.baselines.category_popularity import CategoryPopularity, CategoryPopularityConfig
from cs_lab.models.baselines.personal import Personal, PersonalConfig, PersonalFallback, PersonalFallbackConfig
from cs_lab.models.baselines.popularity import Popularity, PopularityConfig
from cs_lab.models.baselines.random_items import RandomConfig, RandomItems

__all__ = ["CategoryPopularity", "CategoryPopularityConfig", "Personal", "PersonalConfig", "PersonalFallback",
           "PersonalFallbackConfig", "Popularity", "PopularityConfig", "RandomConfig", "RandomItems"]
