"""Basket-research baselines: TIFU-KNN, UP-CF@r and a repeat/explore mixture, built on the
customers' basket sequences (cs_lab.models.basket.sequences)."""

from cs_lab.models.basket.mixture import RepeatExplore, RepeatExploreConfig
from cs_lab.models.basket.sequences import BasketSequences
from cs_lab.models.basket.tifu_knn import TIFUKNN, TIFUKNNConfig
from cs_lab.models.basket.upcf import UPCF, UPCFConfig

__all__ = ["BasketSequences", "RepeatExplore", "RepeatExploreConfig", "TIFUKNN", "TIFUKNNConfig", "UPCF",
           "UPCFConfig"]
