"""Code lineage in cache keys: a code change gives a new key, so nothing made by other code is reused."""

import shutil

from cs_lab.experiment import lineage
from cs_lab.experiment.stages import context


def test_source_hash_changes_with_a_scorer(tmp_path):
    src = tmp_path / "cs_lab"
    shutil.copytree(lineage.PACKAGE_ROOT, src, ignore=shutil.ignore_patterns("__pycache__"))
    before = lineage.source_hash(src)
    assert lineage.source_hash(src) == before                      # deterministic
    f = src / "models" / "baselines" / "popularity.py"
    f.write_text(f.read_text() + "\n# a changed scorer\n")
    assert lineage.source_hash(src) != before


def test_describe_without_git_uses_the_source_hash(tmp_path):
    src = tmp_path / "pkg"
    src.mkdir()
    (src / "a.py").write_text("x = 1\n")
    d = lineage.describe(src)
    assert d["git_commit"] == "unknown" and d["source_hash"] in d["code_version"]
    assert d["version"] in d["code_version"]


def test_content_key_holds_the_code_version(monkeypatch):
    a = context.content_key({"params": 1})
    monkeypatch.setattr(context, "code_version", lambda: "0.1.0+other")
    assert context.content_key({"params": 1}) != a
