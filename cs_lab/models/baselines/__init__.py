"""Baselines: random, popularity, category popularity, personal frequency, personal + fallback."""

from cs_lab.models.baselines.popularity import Popularity, PopularityConfig

__all__ = ["Popularity", "PopularityConfig"]
