"""Fixtures of the Spark engine tests (tests/spark mirrors cs_lab/spark).

Every test here is skipped, with the reason, when pyspark is not installed or there is no Java:
the Spark engine is an optional extra (`pip install 'cs_lab[spark]'`, Java 17+) -- except tests
marked ``without_spark`` (config validation, the missing-pyspark errors), which must run without
it; they ask for ``spark_available`` themselves when one of them does need pyspark or Java. The
check is a fixture rather than a module-level skip, so that naming this folder on the command
line also works without them. One SparkSession (local[2], 4 shuffle partitions) is shared by every
test: starting a JVM costs ~10 s.

Spark fits are slow on tiny data (seconds each), so the tests keep their number small: models pass
``spark=SPARK`` (Spark's per-task overhead dominates at this size).
"""

from __future__ import annotations

import pytest

from cs_lab.spark.session import java_version

# the engine settings every model under test uses: a small input for a small session
SPARK = {"num_partitions": 2}


@pytest.fixture(scope="session")
def spark_available():
    pytest.importorskip("pyspark", reason="the Spark engine needs pyspark: pip install 'cs_lab[spark]'")
    if java_version() is None:
        pytest.skip("the Spark engine needs Java 17+ (no `java` in JAVA_HOME or on PATH)")


@pytest.fixture(autouse=True)
def _spark_required(request):
    """Skip (with the reason) without pyspark / Java unless the test is marked ``without_spark``."""
    if request.node.get_closest_marker("without_spark") is None:
        request.getfixturevalue("spark_available")


@pytest.fixture(scope="session")
def spark(spark_available):
    """The shared SparkSession (started once; stopped at the end of the test session)."""
    from cs_lab.spark.session import spark_session, stop_session
    from cs_lab.spark.settings import SparkSettings

    session = spark_session(SparkSettings(master="local[2]", shuffle_partitions=4))
    yield session
    stop_session()
