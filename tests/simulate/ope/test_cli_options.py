"""`cs-lab ope open_bandit`: bad options are refused before any data is read."""

import pytest

from cs_lab.cli import main


@pytest.mark.parametrize("argv,flag", [(["--n-boot", "10"], "--n-boot"), (["--folds", "1"], "--folds")])
def test_bad_option_is_named(argv, flag, capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("CS_LAB_DATA_DIR", str(tmp_path))      # no data: the config is checked first
    assert main(["ope", "open_bandit", "--no-track", *argv]) == 2
    assert flag in capsys.readouterr().err


def test_bad_clip_and_campaign_are_argparse_errors(capsys):
    for argv in (["--clip", "0"], ["--campaign", "kids"]):
        with pytest.raises(SystemExit):
            main(["ope", "open_bandit", *argv])
    assert "--campaign" in capsys.readouterr().err
