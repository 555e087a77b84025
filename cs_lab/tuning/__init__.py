"""Optuna tuning: search spaces from config, studies with resumable storage, pruning."""

from cs_lab.tuning.space import SearchSpace

__all__ = ["SearchSpace"]
