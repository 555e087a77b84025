"""Priors of the acceptance model: rates estimated from real data (or stated assumptions).

Each rate the A/B simulation uses is a ``Prior``: an estimate with its standard error, interval,
sampling distribution and source. Estimates live as JSON lists in ``priors/data/*.json``, one file
per source (e.g. ``complete_journey.json`` from the real campaigns/promotions, ``open_bandit.json``
from the Open Bandit Dataset). ``load_priors()`` merges them; a name defined twice is an error.
The simulation draws every rate from its distribution (a parameter bootstrap), so lift intervals
carry the rates' uncertainty.
"""

from cs_lab.simulate.priors.schema import Prior, PriorSet, load_priors, save_priors

__all__ = ["Prior", "PriorSet", "load_priors", "save_priors"]
