"""cs_lab: a research framework for cross-sell recommendation."""

__version__ = "0.1.0"
