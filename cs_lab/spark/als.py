"""Implicit-feedback ALS on Spark ML, and the cart fold-in that matches Spark's objective.

Spark's ALS (implicitPrefs=True) minimises, for each row u (customer or basket),

    sum_i c_ui (p_ui - x_u . y_i)^2 + regParam * n_u * |x_u|^2,   c_ui = 1 + alpha * r_ui

where n_u is the number of items of row u. implicit's ALS uses c_ui = alpha * r_ui and a plain
penalty regularization * |x_u|^2. To keep ``regularization`` meaning the same on both engines,
the Spark engine sets regParam = regularization / mean(n_u), so the average row gets the same
penalty; rows with more items than average are penalised more than implicit would, rows with
fewer less. ``alpha`` is passed as is. Different solvers (Cholesky on blocks vs conjugate
gradient) and random initialisations complete the list of why the two engines' factors differ;
their ranking metrics are compared in tests/spark/test_integration.py (docs/spark.md).

Cart fold-in solves the same per-row problem with the item factors fixed (``fold_in``), so a cart
is scored consistently with how Spark trained the customers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import scipy.sparse as sp

from cs_lab.models.implicit_cf.matrices import als_fold_in

if TYPE_CHECKING:
    from pyspark.sql import DataFrame


@dataclass
class SparkFactors:
    user_factors: np.ndarray   # (n_users, F) float32, zero rows for users Spark never saw
    item_factors: np.ndarray   # (n_items, F) float32, zero rows for items Spark never saw
    reg_param: float           # the regParam Spark used (regularization / mean row length)
    model: object | None = None  # the fitted pyspark ALSModel, when fit_als(keep_model=True)


def fit_als(pairs: "DataFrame", n_users: int, n_items: int, *, factors: int, regularization: float,
            alpha: float, iterations: int, seed: int, partitions: int, keep_model: bool = False) -> SparkFactors:
    """Spark ALS on (user, item, value) rows; factors copied into arrays indexed like the vocabularies."""
    from pyspark.ml.recommendation import ALS
    from pyspark.sql import functions as F

    pairs = pairs.repartition(partitions).cache()
    try:
        stats = pairs.agg(F.count(F.lit(1)).alias("n"), F.countDistinct("user").alias("rows")).first()
        mean_len = stats["n"] / max(stats["rows"], 1)
        reg_param = regularization / max(mean_len, 1e-12)
        als = ALS(rank=factors, maxIter=iterations, regParam=reg_param, implicitPrefs=True, alpha=alpha,
                  userCol="user", itemCol="item", ratingCol="value", nonnegative=False, seed=seed,
                  numUserBlocks=partitions, numItemBlocks=partitions, coldStartStrategy="nan")
        model = als.fit(pairs)
        users = _dense(model.userFactors, n_users, factors)
        items = _dense(model.itemFactors, n_items, factors)
    finally:
        pairs.unpersist()
    return SparkFactors(users, items, reg_param, model if keep_model else None)


def _dense(frame: "DataFrame", n: int, rank: int) -> np.ndarray:
    import pyarrow.compute as pc

    t = frame.toArrow()
    out = np.zeros((n, rank), dtype=np.float32)
    if t.num_rows:
        ids = t.column("id").to_numpy()
        feats = pc.list_flatten(t.column("features").combine_chunks()).to_numpy(zero_copy_only=False)
        out[ids] = feats.reshape(len(ids), rank)
    return out


def fold_in(values: sp.csr_matrix, item_factors: np.ndarray, reg_param: float, alpha: float,
            yty: np.ndarray | None = None) -> np.ndarray:
    """Row vectors minimising Spark's implicit objective with the item factors fixed: confidence
    1 + alpha * value, penalty reg_param * (number of items in the row). (n, F) float64."""
    conf = sp.csr_matrix(values, dtype=np.float64, copy=True)
    conf.data = 1.0 + alpha * conf.data
    row_reg = reg_param * np.diff(conf.indptr).astype(np.float64)
    return als_fold_in(conf, item_factors, row_reg, yty)


def als_from_lines(train, config) -> SparkFactors:
    """The model contract's path: the training lines -> Parquet -> Spark ALS -> factors.

    Values follow the local engine: customer x item basket counts (or binary basket rows), with the
    config's confidence transform (linear, log or binary) applied before Spark's 1 + alpha * r.
    """
    from cs_lab.spark.frames import basket_item_pairs, customer_item_counts, lines_parquet, read_lines
    from cs_lab.spark.session import spark_session

    settings = config.spark_settings()
    spark = spark_session(settings)  # first: OptionalDependencyError when pyspark or Java is missing
    from pyspark.sql import functions as F
    with lines_parquet(train.lines, settings.local_dir) as path:
        df = read_lines(spark, path)
        if config.train_on == "customers":
            pairs, n_users = customer_item_counts(df, train.items, train.customers), train.n_customers
        else:
            pairs, n_users = basket_item_pairs(df, train.items, settings.partitions), train.n_baskets
        if config.confidence == "log":
            pairs = pairs.withColumn("value", (1.0 + F.log(F.greatest(F.col("value"), F.lit(1.0)))).cast("float"))
        elif config.confidence == "binary":
            pairs = pairs.withColumn("value", F.lit(1.0).cast("float"))
        return fit_als(pairs, n_users, train.n_items, factors=config.factors,
                       regularization=config.regularization, alpha=config.alpha,
                       iterations=config.iterations, seed=config.seed, partitions=settings.partitions)
