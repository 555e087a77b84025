"""Per-line values of the hidden items (e.g. quantity x unit price), aligned to the truth matrix."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from cs_lab.errors import DataError
from cs_lab.eval.lookup import csr_find


def align_line_values(truth: sp.csr_array, values: sp.sparray | sp.spmatrix, name: str) -> sp.csr_array:
    """CSR with exactly the stored entries of the canonical ``truth`` and values taken from ``values``.

    ``values`` must store an entry (zero allowed, NaN/inf not) at every relevant
    truth entry; entries elsewhere (e.g. truth lines with quantity <= 0, which
    are not relevant) are ignored. Duplicated coordinates are summed, as for the truth.
    """
    if not sp.issparse(values):
        raise DataError(f"{name} must be a scipy sparse matrix, got {type(values).__name__}",
                        hint="build it from the same lines as truth, e.g. quantity x unit price")
    if values.shape != truth.shape:
        raise DataError(f"{name} has shape {values.shape} but truth is {truth.shape}",
                        hint=f"{name} must have the same sparsity (rows, item index) as truth")
    mat = sp.csr_array(values, dtype=np.float64, copy=True)
    mat.sum_duplicates()
    mat.sort_indices()
    if not np.isfinite(mat.data).all():
        bad = int(np.flatnonzero(~np.isfinite(mat.data))[0])
        row = int(np.searchsorted(mat.indptr, bad, side="right")) - 1
        raise DataError(f"{name} has a NaN or infinite value (query row {row}, item {int(mat.indices[bad])})",
                        hint="fill unknown prices or costs before building the line values")
    rows = np.repeat(np.arange(truth.shape[0], dtype=np.int64), np.diff(truth.indptr))
    pos = csr_find(mat, rows, truth.indices)
    missing = pos < 0
    if missing.any():
        first = int(np.flatnonzero(missing)[0])
        raise DataError(f"{name} has no entry for {int(missing.sum())} hidden item(s), first at "
                        f"query row {int(rows[first])}, item {int(truth.indices[first])}",
                        hint=f"{name} must have the same sparsity as truth")
    return sp.csr_array((mat.data[pos], truth.indices.copy(), truth.indptr.copy()), shape=truth.shape)
