"""Hybrids built from other models: a fallback chain and a weighted blend (plus composite plumbing)."""

from cs_lab.models.hybrid.blend import Blend, BlendConfig
from cs_lab.models.hybrid.fallback import Fallback, FallbackConfig

__all__ = ["Blend", "BlendConfig", "Fallback", "FallbackConfig"]
