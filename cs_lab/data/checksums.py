"""``checksum.json`` sidecars: the sha256 of every file of a cache folder, checked before use.

Shared by the prepared-data cache (cs_lab/data/cache.py) and the fitted-model cache
(cs_lab/experiment/stages/fit.py). A folder without the sidecar, or with a file that does not
match it, fails :func:`verify`: an unverifiable entry is never used.
"""

from __future__ import annotations

import json
from pathlib import Path

from cs_lab.data.sources import sha256_of

CHECKSUMS = "checksum.json"


def write_checksums(d: Path) -> None:
    """``checksum.json`` in folder ``d``: the sha256 of every file in it (at this moment)."""
    sums = {f.name: sha256_of(f) for f in sorted(d.iterdir()) if f.is_file() and f.name != CHECKSUMS}
    (d / CHECKSUMS).write_text(json.dumps(sums, indent=1, sort_keys=True))


def verify(d: Path) -> bool:
    """Whether every file listed in ``d``'s checksum.json exists with its recorded sha256 (a folder
    without the sidecar fails). Files added later (e.g. cached recommendations, with their own
    sidecars) are not listed and not checked."""
    try:
        sums = json.loads((d / CHECKSUMS).read_text())
        if not isinstance(sums, dict) or not sums:
            return False
        return all((d / name).is_file() and sha256_of(d / name) == digest for name, digest in sums.items())
    except (OSError, ValueError):
        return False
