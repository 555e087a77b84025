"""Experiment tracking through an injected Tracker object (MLflow, or nothing)."""

from cs_lab.tracking.tracker import (FAILED, FINISHED, KILLED, RUNNING, MemoryTracker, MlflowTracker,
                                     NullTracker, Tracker, close_orphan_runs,
                                     default_tracking_uri)

__all__ = ["FAILED", "FINISHED", "KILLED", "RUNNING", "MemoryTracker", "MlflowTracker", "NullTracker",
           "Tracker", "close_orphan_runs", "default_tracking_uri"]
