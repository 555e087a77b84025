"""The Spark engine: rule mining and ALS on Apache Spark, behind the same model contract.

    {"model": "rules", "engine": "spark", "spark": {"master": "local[2]"}}
    {"model": "als",   "engine": "spark", "spark": {"driver_memory": "8g"}}

A model with ``engine: spark`` fits on Spark and keeps, like every model, plain NumPy arrays for
scoring, saving and evaluation; nothing else in cs_lab changes. Spark reads the training lines as
canonical Parquet (cs_lab.data.schema): the model contract writes its training lines to a temporary
Parquet folder; at scale (benchmarks/bench_scale.py) Spark reads a prepared Parquet file directly.

Modules (pyspark is imported only inside the functions that need it; install `cs_lab[spark]`):
  settings   SparkSettings, the typed ``spark:`` block of a model config (no pyspark import)
  session    the shared SparkSession, with clear errors when pyspark or Java is missing
  frames     canonical Parquet -> basket item sets and customer x item counts, as vocabulary indices
  fpgrowth   Spark ML's FP-Growth -> cs_lab FrequentItemsets (identical to the local miner)
  als        Spark ML's implicit ALS -> factor arrays, and the cart fold-in of Spark's objective
"""

from cs_lab.spark.settings import Engine, SparkSettings

__all__ = ["Engine", "SparkSettings"]
