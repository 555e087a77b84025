"""`cs-lab priors`: show lists the shipped priors; estimate rejects bad options before reading data."""

from __future__ import annotations

import pytest

from cs_lab.cli import main
from cs_lab.simulate.priors import load_priors


def test_show_lists_every_shipped_prior(capsys):
    assert main(["priors", "show"]) == 0
    out = capsys.readouterr().out
    for p in load_priors():
        assert p.name in out


@pytest.mark.parametrize("args, msg", [(["--stores", "0"], "n_stores"), (["--stores", "500"], "n_stores")])
def test_estimate_bad_options_exit_2(args, msg, capsys, tmp_path):
    out = tmp_path / "p.json"
    assert main(["priors", "estimate", "complete_journey", "--out", str(out), *args]) == 2
    assert msg in capsys.readouterr().err
    assert not out.exists()
