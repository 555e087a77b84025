"""Property-based: any YAML-able document, and any random mutation of a valid minimal spec, either
loads or raises ConfigError -- never another exception type, never a hang. Deterministic
(``derandomize=True``) so CI sees the same examples every run."""

from __future__ import annotations

import tempfile
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cs_lab.errors import ConfigError
from cs_lab.experiment.spec import ExperimentSpec, load_spec

BASE = {"name": "t", "dataset": "groceries", "models": [{"name": "pop", "config": {"model": "popularity"}}]}

SETTINGS = settings(max_examples=100, deadline=2000, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.too_slow])

# known keys at every level, so mutations reach the validators and not only "extra inputs" errors
SECTION_KEYS = {name: list(getattr(field.annotation, "model_fields", {}) or [])
                for name, field in ExperimentSpec.model_fields.items()}
TOP_KEYS = list(ExperimentSpec.model_fields) + ["include", "bogus"]
MODEL_KEYS = ["name", "config", "search", "include", "tune", "bogus"]
CONFIG_KEYS = ["model", "factors", "seed", "k", "regularization", "iterations", "by", "include", "bogus"]
INCLUDES = ["", ".", "..", "/", "nope.yaml", "models/als.yaml", "models", "binary.yaml", "list.yaml",
            "empty.yaml", "self.yaml"]

scalars = (st.none() | st.booleans() | st.integers(-10**6, 10**6) | st.integers()
           | st.floats(allow_nan=True, allow_infinity=True) | st.text(max_size=12)
           | st.sampled_from(["popularity", "als", "temporal", "fraction", "ndcg@10", "int", "float", "-1", "1e3"]))
keys = st.text(max_size=8) | st.sampled_from(TOP_KEYS + MODEL_KEYS + CONFIG_KEYS
                                            + sorted({k for ks in SECTION_KEYS.values() for k in ks}))
values = st.recursive(scalars | st.builds(lambda s: {"include": s}, st.sampled_from(INCLUDES)),
                      lambda inner: st.lists(inner, max_size=4) | st.dictionaries(keys, inner, max_size=4),
                      max_leaves=20)


def load(doc) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "binary.yaml").write_bytes(b"\xff\xfe\x00\x81 not text \x00")
        (root / "list.yaml").write_text("- 1\n- 2\n")
        (root / "empty.yaml").write_text("")
        (root / "self.yaml").write_text("include: self.yaml\n")
        (root / "models").mkdir()
        p = root / "s.yaml"
        p.write_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True))
        try:
            load_spec(p)
        except ConfigError:
            pass


@SETTINGS
@given(values)
def test_any_yaml_document_loads_or_raises_config_error(doc):
    load(doc)


def mutations():
    """(path into BASE, new value): set, or add, one key anywhere in the minimal spec."""
    where = st.sampled_from(["top", "section", "model", "config", "models"])
    return st.tuples(where, keys, values, st.sampled_from(sorted(SECTION_KEYS)))


def apply(spec: dict, where: str, key, value, section: str) -> dict:
    if where == "top":
        spec[key] = value
    elif where == "section":
        sub = spec.setdefault(section, {})
        if isinstance(sub, dict):
            sub[key] = value
    elif where in ("model", "config"):
        models = spec.get("models")
        model = models[0] if isinstance(models, list) and models and isinstance(models[0], dict) else None
        if where == "config" and model is not None:
            model = model.get("config") if isinstance(model.get("config"), dict) else None
        if model is not None:                     # an earlier mutation may have replaced the list
            model[key] = value
    else:
        spec["models"] = value
    return spec


@SETTINGS
@given(st.lists(mutations(), min_size=1, max_size=4))
def test_mutated_minimal_spec_loads_or_raises_config_error(muts):
    spec = yaml.safe_load(yaml.safe_dump(BASE))
    for m in muts:
        apply(spec, *m)
    load(spec)


@SETTINGS
@given(st.sampled_from(sorted(SECTION_KEYS)), st.data())
def test_known_section_keys_with_random_values(section, data):
    """Each real field of a section (split.windows, tuning.trials, ...) set to an arbitrary value."""
    fields = SECTION_KEYS[section]
    spec = yaml.safe_load(yaml.safe_dump(BASE))
    if fields:
        spec[section] = {f: data.draw(values, label=f) for f in data.draw(st.lists(st.sampled_from(fields),
                                                                                   min_size=1, max_size=3))}
    else:
        spec[section] = data.draw(values, label=section)
    load(spec)


def test_base_loads():
    load(BASE)
