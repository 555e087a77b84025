"""SparkSettings and the ``engine`` / ``spark`` fields of model configs; the errors raised when pyspark
or Java is missing. Nothing here starts a JVM, and all but the Java tests run without pyspark
(marked ``without_spark``; the tests that need pyspark or Java ask for ``spark_available``)."""

from __future__ import annotations

import builtins

import pytest

from cs_lab.errors import ConfigError, OptionalDependencyError
from cs_lab.models import registry
from cs_lab.models.base import Recommender
from cs_lab.models.implicit_cf import ALS
from cs_lab.models.rules import RulesRecommender
from cs_lab.spark import session as spark_session_module
from cs_lab.spark.session import INSTALL_HINT, java_version, require_pyspark, spark_session
from cs_lab.spark.settings import SparkSettings
from cs_lab.testing.data import contract_data

pytestmark = pytest.mark.without_spark

ENGINE_MODELS = ["als", "rules"]
HINT = "pip install 'cs_lab[spark]'"


# -- config validation -------------------------------------------------------------------------
@pytest.mark.parametrize("model", ENGINE_MODELS)
def test_engine_defaults_to_local_without_spark_block(model):
    cfg = registry.build({"model": model}).config
    assert cfg.engine == "local" and cfg.spark is None
    assert cfg.spark_settings() == SparkSettings()


@pytest.mark.parametrize("model", ENGINE_MODELS)
def test_engine_values(model):
    assert registry.build({"model": model, "engine": "spark"}).config.engine == "spark"
    with pytest.raises(ConfigError, match=r"model config\.engine: Input should be 'local' or 'spark'"):
        registry.build({"model": model, "engine": "gpu"})


@pytest.mark.parametrize("model", ENGINE_MODELS)
@pytest.mark.parametrize("engine", [None, "local"])
def test_spark_block_needs_engine_spark(model, engine):
    cfg = {"model": model, "spark": {"master": "local[1]"}}
    if engine:
        cfg["engine"] = engine
    with pytest.raises(ConfigError, match=r"model config\.spark: .*only used with engine: spark"):
        registry.build(cfg)


def test_invalid_engine_is_the_only_error_reported():
    """A bad engine does not also blame the spark block (its check needs a valid engine)."""
    with pytest.raises(ConfigError) as exc:
        ALS(engine="gpu", spark={"master": "local[1]"})
    assert "engine" in str(exc.value) and "only used with engine" not in str(exc.value)


@pytest.mark.parametrize("block,where", [
    ({"bogus": 1}, r"spark\.bogus: Extra inputs are not permitted"),
    ({"driver_memory": "lots"}, r"spark\.driver_memory"),
    ({"shuffle_partitions": 0}, r"spark\.shuffle_partitions"),
    ({"num_partitions": -1}, r"spark\.num_partitions"),
])
def test_spark_block_is_validated(block, where):
    with pytest.raises(ConfigError, match=where):
        ALS(engine="spark", spark=block)


def test_settings_partitions():
    assert SparkSettings().partitions == SparkSettings().shuffle_partitions == 8
    assert SparkSettings(shuffle_partitions=3).partitions == 3
    assert SparkSettings(shuffle_partitions=3, num_partitions=5).partitions == 5


@pytest.mark.parametrize("model", ENGINE_MODELS)
def test_params_round_trip_with_engine_spark(model):
    conf = {"spark.executor.memory": "8g", "spark.sql.adaptive.enabled": "false",
            # a key that is also the prefix of another survives the dotted flattening too
            "spark.speculation": "true", "spark.speculation.quantile": "0.9"}
    m = registry.build({"model": model, "engine": "spark",
                        "spark": {"master": "local[1]", "driver_memory": "2g", "num_partitions": 3, "conf": conf}})
    params = m.get_params()
    assert all(isinstance(v, (int, float, str, bool, type(None))) for v in params.values()), params
    assert params["engine"] == "spark" and params["spark.master"] == "local[1]"
    assert params["spark.conf.spark.executor.memory"] == "8g"
    m2 = Recommender.from_params(params)
    assert type(m2) is type(m) and m2.config == m.config and m2.get_params() == params
    assert m2.config.spark.conf == conf and m2.config.spark_settings().partitions == 3


def test_params_round_trip_without_spark_block():
    m = ALS(engine="spark", factors=4)
    m2 = Recommender.from_params(m.get_params())
    assert m2.config == m.config and m2.config.spark is None


def test_conf_accepts_nested_keys():
    nested = SparkSettings(conf={"spark": {"executor": {"memory": "8g"},
                                           "speculation": {"": "true", "quantile": "0.9"}}})
    assert nested.conf == {"spark.executor.memory": "8g", "spark.speculation": "true",
                           "spark.speculation.quantile": "0.9"}


# -- missing pyspark / Java ----------------------------------------------------------------------
@pytest.fixture
def no_pyspark(monkeypatch):
    """Every `import pyspark...` fails, as when the extra is not installed (even though the test
    process may have imported it already)."""
    real = builtins.__import__

    def fake(name, *args, **kwargs):
        if name == "pyspark" or name.startswith("pyspark."):
            raise ModuleNotFoundError(f"No module named {name!r}")
        return real(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", fake)


def test_require_pyspark_hint(no_pyspark):
    with pytest.raises(OptionalDependencyError, match=r"engine: spark needs pyspark.*pip install 'cs_lab\[spark\]'"):
        require_pyspark()
    with pytest.raises(OptionalDependencyError, match="Java 17"):
        spark_session()


@pytest.mark.parametrize("config", [
    {"model": "als", "engine": "spark", "factors": 4, "iterations": 1},
    {"model": "als", "engine": "spark", "factors": 4, "iterations": 1, "train_on": "baskets"},
    {"model": "rules", "engine": "spark", "min_support": 0.01},
])
def test_fit_without_pyspark_says_what_to_install(no_pyspark, config):
    """The error comes from the engine, not a bare ImportError from deep inside it."""
    with pytest.raises(OptionalDependencyError) as exc:
        registry.build(config).fit(contract_data(0).train)
    assert HINT in str(exc.value) and INSTALL_HINT in str(exc.value)


def test_local_engine_never_imports_pyspark(no_pyspark):
    data = contract_data(0)
    ALS(factors=4, iterations=1, num_threads=1).fit(data.train).recommend(data.queries, 5)
    RulesRecommender(min_support=0.01).fit(data.train).recommend(data.queries, 5)


@pytest.fixture
def no_java(monkeypatch):
    """No Java, and no running session to fall back on (pyspark itself is needed)."""
    pytest.importorskip("pyspark", reason="faking a missing Java needs pyspark: pip install 'cs_lab[spark]'")
    from pyspark.sql import SparkSession

    monkeypatch.setattr(spark_session_module, "java_version", lambda: None)
    monkeypatch.setattr(SparkSession, "getActiveSession", classmethod(lambda cls: None))


def test_spark_session_without_java(no_java):
    with pytest.raises(OptionalDependencyError, match=r"needs Java .*pip install 'cs_lab\[spark\]'"):
        spark_session()


@pytest.mark.parametrize("model", [RulesRecommender(engine="spark", min_support=0.01),
                                   ALS(engine="spark", factors=4, iterations=1)], ids=["rules", "als"])
def test_fit_without_java(no_java, model):
    with pytest.raises(OptionalDependencyError, match="needs Java"):
        model.fit(contract_data(0).train)


def test_java_version(monkeypatch, tmp_path):
    if java_version() is None:
        pytest.skip("no Java in JAVA_HOME or on PATH: nothing to read the version of")
    assert "version" in java_version()
    monkeypatch.setenv("JAVA_HOME", str(tmp_path / "no_jdk_here"))
    assert java_version() is None

