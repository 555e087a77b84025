"""Typed settings of the Spark engine (pure pydantic: importing this never imports pyspark)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

Engine = Literal["local", "spark"]
"""Where a model fits: "local" (NumPy / numba / implicit in this process) or "spark"."""


class SparkSettings(BaseModel):
    """The ``spark:`` block of a model config with ``engine: spark``.

    master              Spark master URL: "local[2]" (two cores of this machine), "local[*]",
                        "spark://host:7077", "yarn", ...
    driver_memory       JVM heap of the driver ("4g"); in local mode the executors run inside it
    shuffle_partitions  spark.sql.shuffle.partitions (Spark's default of 200 is far too many
                        for one machine)
    num_partitions      partitions of the mining / training input (0 = shuffle_partitions)
    local_dir           scratch space for shuffles and spills (None = Spark's default, /tmp)
    conf                any other Spark settings, e.g. {"spark.executor.memory": "8g"}

    The first model that needs Spark starts the session with these settings; later models reuse
    it (a running JVM cannot change its heap or master).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    master: str = "local[2]"
    driver_memory: str = Field("4g", pattern=r"^\d+[kmgt]?$")
    shuffle_partitions: int = Field(8, ge=1)
    num_partitions: int = Field(0, ge=0)
    local_dir: str | None = None
    app_name: str = "cs_lab"
    conf: dict[str, str] = Field(default_factory=dict)

    @property
    def partitions(self) -> int:
        return self.num_partitions or self.shuffle_partitions


class EngineFields(BaseModel):
    """Mixed into the configs of models that can fit on Spark (rules, als).

    engine  "local" (default) or "spark"
    spark   SparkSettings for engine "spark" (None = the defaults); an error with engine "local"
    """

    engine: Engine = "local"
    spark: SparkSettings | None = None

    def spark_settings(self) -> SparkSettings:
        return self.spark or SparkSettings()

    @model_validator(mode="after")
    def _spark_block_needs_spark_engine(self):
        if self.engine != "spark" and self.spark is not None:
            raise ValueError("a 'spark' block is only used with engine: spark (set engine: spark or remove it)")
        return self
