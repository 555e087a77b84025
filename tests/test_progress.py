"""cs_lab._progress: bars only on a console outside CI and notebooks, only when the runner asks."""

import io
import sys

import pytest

from cs_lab import _progress


class Tty(io.StringIO):
    def isatty(self):
        return True


def console(monkeypatch) -> Tty:
    """stderr as a terminal (patched inside the test: pytest swaps sys.stderr between setup and call)."""
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.delitem(sys.modules, "ipykernel", raising=False)
    out = Tty()
    monkeypatch.setattr(sys, "stderr", out)
    return out


def test_a_bar_on_a_console_when_the_runner_shows_progress(monkeypatch):
    out = console(monkeypatch)
    with _progress.showing(True):
        with _progress.bar(10, "tuning als", "trial") as b:
            b.update(3)
    assert "tuning als" in out.getvalue() and "trial" in out.getvalue()


@pytest.mark.parametrize("case", ["ci", "notebook", "not_a_tty", "quiet", "outside_the_runner", "few_steps"])
def test_no_bar(monkeypatch, case):
    out = console(monkeypatch)
    if case == "ci":
        monkeypatch.setenv("CI", "true")
    elif case == "notebook":
        monkeypatch.setitem(sys.modules, "ipykernel", object())
    elif case == "not_a_tty":
        monkeypatch.setattr(sys, "stderr", io.StringIO())
    if case == "outside_the_runner":
        b = _progress.bar(10, "x")
    else:
        with _progress.showing(case != "quiet"):
            b = _progress.bar(1 if case == "few_steps" else 10, "x", min_total=2)
    b.update()
    b.close()
    assert out.getvalue() == "" and isinstance(b, _progress._NoBar)
