"""A throw-away copy of the package and its tests, for planting bugs without touching the working tree.

    with Sandbox() as box:
        box.edit("cs_lab/data/splits/holdout.py", old, new)
        box.pytest(["tests/data/splits"], timeout=120)  -> "passed" | "failed" | "timeout"
        box.restore("cs_lab/data/splits/holdout.py")
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
_IGNORE = shutil.ignore_patterns("__pycache__", "*.pyc", ".pytest_cache")


class Sandbox:
    def __init__(self, root: Path = ROOT, python: str = sys.executable) -> None:
        self.root, self.python = Path(root), python
        self.dir: Path | None = None
        self._orig: dict[str, str] = {}

    def __enter__(self) -> "Sandbox":
        self.dir = Path(tempfile.mkdtemp(prefix="cs_lab_mut_"))
        for name in ("cs_lab", "tests"):
            shutil.copytree(self.root / name, self.dir / name, ignore=_IGNORE)
        shutil.copy2(self.root / "pyproject.toml", self.dir / "pyproject.toml")
        where = subprocess.run([self.python, "-c", "import cs_lab; print(cs_lab.__file__)"], cwd=self.dir,
                               env=self._env(), capture_output=True, text=True, check=True).stdout.strip()
        if not where.startswith(str(self.dir)):
            raise RuntimeError(f"the sandbox imports cs_lab from {where}, not from its copy {self.dir}")
        return self

    def __exit__(self, *exc) -> None:
        if self.dir is not None:
            shutil.rmtree(self.dir, ignore_errors=True)

    def _env(self) -> dict[str, str]:
        env = dict(os.environ)
        env["PYTHONPATH"] = str(self.dir)
        env.setdefault("CS_LAB_OFFLINE", "1")
        env.setdefault("MPLBACKEND", "Agg")
        env["PYTHONDONTWRITEBYTECODE"] = "1"     # a mutant's stale .pyc must never be reused
        return env

    def read(self, rel: str) -> str:
        return (self.dir / rel).read_text()

    def write(self, rel: str, text: str) -> None:
        self._orig.setdefault(rel, self.read(rel))
        (self.dir / rel).write_text(text)

    def edit(self, rel: str, old: str, new: str) -> None:
        text = self.read(rel)
        if text.count(old) != 1:
            raise ValueError(f"{rel}: the text to replace occurs {text.count(old)} times, expected once:\n{old}")
        self.write(rel, text.replace(old, new))

    def restore(self, rel: str | None = None) -> None:
        for r in ([rel] if rel else list(self._orig)):
            if r in self._orig:
                (self.dir / r).write_text(self._orig.pop(r))

    def pytest(self, targets: list[str], timeout: float = 300, extra: list[str] | None = None) -> str:
        """Run pytest on ``targets`` in the copy: 'passed' (the bug survived), 'failed', 'timeout',
        'no tests', or 'error' (collection or import failed: pytest exit status 2-4)."""
        cmd = [self.python, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", "-m", "not integration",
               *(extra or []), *targets]
        try:
            r = subprocess.run(cmd, cwd=self.dir, env=self._env(), capture_output=True, text=True,
                               timeout=timeout)
        except subprocess.TimeoutExpired:
            return "timeout"
        if r.returncode == 0:
            return "passed"
        if r.returncode == 1:
            return "failed"
        if r.returncode == 5:
            return "no tests"
        self.last_output = r.stdout[-3000:] + r.stderr[-3000:]
        return "error"
