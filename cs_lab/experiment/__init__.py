"""Experiments: YAML specs -> tuned, refit, tested, compared and tracked models."""

from cs_lab.experiment.spec import ExperimentSpec, load_spec

__all__ = ["ExperimentSpec", "load_spec"]
