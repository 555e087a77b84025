"""Which code made a result: package version, git commit, and a hash of the cs_lab sources when the
working tree has uncommitted changes to them (or there is no git). Part of every cache key (Optuna
studies, fitted models, recommendation lists) and every run's tags, so results made by other code
are never reused."""

from __future__ import annotations

import functools
import hashlib
import subprocess
from pathlib import Path

PACKAGE_ROOT = Path(__file__).resolve().parents[1]


def source_hash(root: Path = PACKAGE_ROOT) -> str:
    """sha256 over every .py / .yaml file under ``root`` (relative path and bytes), 12 hex digits."""
    h = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.suffix in (".py", ".yaml") and p.is_file()
                       and "__pycache__" not in p.parts):
        h.update(str(path.relative_to(root)).encode())
        h.update(b"\0")
        h.update(path.read_bytes())
        h.update(b"\0")
    return h.hexdigest()[:12]


def _git(*args: str, cwd: Path) -> str | None:
    try:
        out = subprocess.run(["git", *args], capture_output=True, text=True, timeout=10, cwd=cwd)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() if out.returncode == 0 else None


def git_commit(root: Path = PACKAGE_ROOT) -> str:
    return _git("rev-parse", "HEAD", cwd=root) or "unknown"


def is_dirty(root: Path = PACKAGE_ROOT) -> bool:
    """Uncommitted changes (or untracked files) under the package folder; True without git."""
    status = _git("status", "--porcelain", "--", ".", cwd=root)
    return status is None or bool(status)


def describe(root: Path = PACKAGE_ROOT) -> dict[str, str]:
    """{'version', 'git_commit', 'source_hash' (only when dirty or no git), 'code_version'}."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        pkg = version("cs_lab")
    except PackageNotFoundError:
        pkg = "0+unknown"
    commit = git_commit(root)
    out = {"version": pkg, "git_commit": commit}
    parts = [pkg, commit[:12]]
    if commit == "unknown" or is_dirty(root):
        out["source_hash"] = source_hash(root)
        parts.append("src-" + out["source_hash"])
    out["code_version"] = "+".join(parts)
    return out


@functools.lru_cache(maxsize=1)
def code_version() -> str:
    """The one string cache keys hold (computed once per process)."""
    return describe()["code_version"]
