"""The shared SparkSession of the Spark engine."""

from __future__ import annotations

import os
import shutil
import subprocess
import warnings
from typing import TYPE_CHECKING, Any

from cs_lab.errors import OptionalDependencyError
from cs_lab.spark.settings import SparkSettings

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

INSTALL_HINT = "install the optional extra: pip install 'cs_lab[spark]' (and Java 17 or newer)"


def require_pyspark() -> Any:
    """The pyspark module, or an OptionalDependencyError saying what to install."""
    # pyspark 4.x warns on every ML import that it does not "fully support pandas >= 3"; the engine
    # exchanges data as Arrow tables and Parquet, not pandas frames
    warnings.filterwarnings("ignore", message="PySpark does not yet fully support pandas", category=FutureWarning)
    try:
        import pyspark
    except ImportError as exc:
        raise OptionalDependencyError(f"engine: spark needs pyspark ({exc}); {INSTALL_HINT}") from None
    return pyspark


def java_version() -> str | None:
    """`java -version`'s first line (JAVA_HOME's java first, then PATH), None when there is no Java."""
    home = os.environ.get("JAVA_HOME")
    java = os.path.join(home, "bin", "java") if home else shutil.which("java")
    if not java or not os.path.exists(java):
        return None
    try:
        out = subprocess.run([java, "-version"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return None
    text = (out.stderr or out.stdout).strip().splitlines()
    return text[0] if text else None


def spark_session(settings: SparkSettings | None = None) -> "SparkSession":
    """The running SparkSession, or a new one built from ``settings``.

    Settings only apply when this call starts the session: a running JVM keeps its master and heap.
    Spark's web UI is off and its logs are quiet (WARN), since cs_lab shows its own progress.
    """
    require_pyspark()
    from pyspark.sql import SparkSession

    active = SparkSession.getActiveSession()
    if active is not None:
        return active
    if java_version() is None:
        raise OptionalDependencyError(f"engine: spark needs Java (no `java` on PATH or in JAVA_HOME); {INSTALL_HINT}")
    s = settings or SparkSettings()
    builder = (SparkSession.builder.master(s.master).appName(s.app_name)
               .config("spark.driver.memory", s.driver_memory)
               .config("spark.sql.shuffle.partitions", str(s.shuffle_partitions))
               .config("spark.ui.enabled", "false")
               .config("spark.ui.showConsoleProgress", "false")
               .config("spark.sql.execution.arrow.pyspark.enabled", "true")
               .config("spark.sql.session.timeZone", "UTC")
               # pandas writes datetime64[ns] as Parquet TIMESTAMP(NANOS), which Spark only reads
               # as a long; frames.read_lines turns it back into a timestamp
               .config("spark.sql.legacy.parquet.nanosAsLong", "true"))
    if s.local_dir:
        builder = builder.config("spark.local.dir", s.local_dir)
    for key, value in s.conf.items():
        builder = builder.config(key, value)
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("WARN")
    return session


def stop_session() -> None:
    """Stop the running session, if any (tests and benchmarks that need a fresh JVM)."""
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        return
    active = SparkSession.getActiveSession()
    if active is not None:
        active.stop()
