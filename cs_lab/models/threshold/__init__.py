"""Order-threshold nudges: re-rank any base model's offers so that they close the gap between the
cart's value and a threshold (free-delivery line or discount tier). docs/tactics_threshold.md."""

from cs_lab.models.threshold.config import ThresholdConfig, ThresholdOffer
from cs_lab.models.threshold.model import Threshold

__all__ = ["Threshold", "ThresholdConfig", "ThresholdOffer"]
