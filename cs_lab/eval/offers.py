"""Bundle offers as evaluation input: which leading slots of each list form an offered bundle.

``evaluate(..., offers=SlotOffers(size, discount))``: row q's first ``size[q]`` slots are one
bundle sold at ``discount[q]`` off (a fraction); size 0 = no bundle offered. Any object with
``size`` and ``discount`` arrays is accepted (e.g. a bundle model's ``offers(queries, ids)``),
so metrics read offers without importing models.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cs_lab.errors import DataError


@dataclass(frozen=True)
class SlotOffers:
    size: np.ndarray       # (n,) int: leading slots forming the offered bundle, 0 = none
    discount: np.ndarray   # (n,) float in [0, 1): the bundle's discount (0 where none)


def as_offers(obj, n: int) -> SlotOffers:
    """Checked SlotOffers for ``n`` queries (DataError naming the problem)."""
    try:
        size = np.asarray(obj.size, dtype=np.int64)
        discount = np.asarray(obj.discount, dtype=np.float64)
    except AttributeError:
        raise DataError(f"offers must have 'size' and 'discount' arrays, got {type(obj).__name__}") from None
    if size.shape != (n,) or discount.shape != (n,):
        raise DataError(f"offers.size {size.shape} / offers.discount {discount.shape}: expected ({n},), "
                        "one value per query")
    if (size < 0).any():
        raise DataError("offers.size has negative values")
    if not np.isfinite(discount).all() or ((discount < 0) | (discount >= 1)).any():
        raise DataError("offers.discount must be a fraction in [0, 1)")
    return SlotOffers(size, np.where(size > 0, discount, 0.0))
