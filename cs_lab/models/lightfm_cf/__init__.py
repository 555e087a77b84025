"""LightFM hybrid matrix factorisation (warp / bpr / logistic / warp-kos) with optional item and
customer side features; carts scored from item representations (docs/models_cf.md)."""

from cs_lab.models.lightfm_cf.model import LightFMConfig, LightFMModel

__all__ = ["LightFMConfig", "LightFMModel"]
