"""The spec loader refuses YAML alias bombs quickly, and still reads ordinary anchors."""

import time

import pytest

from cs_lab.errors import ConfigError
from cs_lab.experiment.spec import _read_yaml, load_spec


def bomb(levels: int = 9, width: int = 9) -> str:
    lines = ['a0: &a0 ["lol"]']
    for i in range(1, levels + 1):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * width) + "]")
    return "\n".join(lines) + "\n"


def test_billion_laughs_is_a_config_error_in_under_a_second(tmp_path):
    p = tmp_path / "bomb.yaml"
    p.write_text(bomb() + "name: x\ndataset: online_retail\nmodels: *a9\n")
    t0 = time.perf_counter()
    with pytest.raises(ConfigError, match="alias"):
        load_spec(p)
    assert time.perf_counter() - t0 < 1.0


def test_bomb_in_an_included_file_is_caught_too(tmp_path):
    (tmp_path / "inc.yaml").write_text(bomb(levels=8) + "x: *a8\n")
    p = tmp_path / "spec.yaml"
    p.write_text("include: inc.yaml\nname: x\n")
    t0 = time.perf_counter()
    with pytest.raises(ConfigError, match=r"inc\.yaml.*alias"):
        load_spec(p)
    assert time.perf_counter() - t0 < 1.0


def test_recursive_anchor_is_a_config_error(tmp_path):
    p = tmp_path / "r.yaml"
    p.write_text("a: &a [1, *a]\n")
    with pytest.raises(ConfigError, match="itself"):
        _read_yaml(p)


def test_ordinary_anchors_and_merge_keys_still_load(tmp_path):
    p = tmp_path / "ok.yaml"
    p.write_text("base: &b {factors: 8, iterations: 4}\nals: {<<: *b, factors: 16}\nlist: [*b, *b]\nempty:\n")
    assert _read_yaml(p) == {"base": {"factors": 8, "iterations": 4}, "als": {"factors": 16, "iterations": 4},
                             "list": [{"factors": 8, "iterations": 4}] * 2, "empty": None}
    (tmp_path / "blank.yaml").write_text("")
    assert _read_yaml(tmp_path / "blank.yaml") is None
