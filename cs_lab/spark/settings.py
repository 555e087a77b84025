"""Typed settings of the Spark engine (pure pydantic: importing this never imports pyspark)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_serializer, field_validator

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
    conf                any other Spark settings, e.g. {"spark.executor.memory": "8g"}; nested
                        keys are joined with dots ({"spark": {"executor": {"memory": "8g"}}} is
                        the same), which is how ``get_params()`` / ``from_params()`` carry them

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

    # Spark keys hold dots, and a model's flat parameters split keys on dots (cs_lab.models.config
    # unflatten): "spark.conf.spark.executor.memory" comes back as nested dicts, joined here again.
    # A key that is also the prefix of another ("spark.speculation", "spark.speculation.quantile")
    # is dumped under "" inside its node, so both survive the round trip.
    @field_validator("conf", mode="before")
    @classmethod
    def _join_nested_keys(cls, value: Any) -> Any:
        if not isinstance(value, dict):
            return value
        out: dict[str, Any] = {}

        def walk(node: dict, prefix: str) -> None:
            for k, v in node.items():
                key = ".".join(p for p in (prefix, str(k)) if p)
                if isinstance(v, dict):
                    walk(v, key)
                else:
                    out[key] = v

        walk(value, "")
        return out

    @field_serializer("conf")
    def _nest_keys(self, conf: dict[str, str]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key in sorted(conf):
            node, parts = out, key.split(".")
            for p in parts[:-1]:
                child = node.get(p)
                if not isinstance(child, dict):
                    child = node[p] = {} if child is None else {"": child}
                node = child
            if isinstance(node.get(parts[-1]), dict):
                node[parts[-1]][""] = conf[key]
            else:
                node[parts[-1]] = conf[key]
        return out


class EngineFields(BaseModel):
    """Mixed into the configs of models that can fit on Spark (rules, als).

    engine  "local" (default) or "spark"
    spark   SparkSettings for engine "spark" (None = the defaults); an error with engine "local"
    """

    engine: Engine = "local"
    spark: SparkSettings | None = None

    def spark_settings(self) -> SparkSettings:
        return self.spark or SparkSettings()

    @field_validator("spark")
    @classmethod
    def _spark_block_needs_spark_engine(cls, value: SparkSettings | None, info: ValidationInfo):
        # a field validator (not a model one) so the error names the key: "<where>.spark: ...";
        # engine is validated first (it is declared first), and absent only when it failed itself
        if value is not None and info.data.get("engine", "spark") != "spark":
            raise ValueError("a 'spark' block is only used with engine: spark (set engine: spark or remove it)")
        return value
