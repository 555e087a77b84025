"""Collaborative filtering on the implicit library (CPU): ALS, BPR, LMF and item-item kNN.

Each fit builds a fresh implicit model, copies its factors (or similarity matrix) out and scores
carts with NumPy here; see cs_lab.models.implicit_cf.factors and docs/models_cf.md.
"""

from cs_lab.models.implicit_cf.als import ALS, ALSConfig
from cs_lab.models.implicit_cf.bpr import BPR, BPRConfig
from cs_lab.models.implicit_cf.item_knn import ItemKNN, ItemKNNConfig
from cs_lab.models.implicit_cf.lmf import LMF, LMFConfig

__all__ = ["ALS", "ALSConfig", "BPR", "BPRConfig", "ItemKNN", "ItemKNNConfig", "LMF", "LMFConfig"]
