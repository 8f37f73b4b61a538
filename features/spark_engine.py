"""Point-in-time snapshots on Apache Spark: the same compiled SQL as DuckDB, for big bases.

`features.query` compiles the declarations with the Spark dialect (`features.dialect`), so
the two engines run one definition; `tests/features/test_parity.py` requires equal results.
Locally (tests) the session runs in `local[2]`; on a cluster, pass the cluster's session.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd

from features.contract.schema import TABLES
from features.contract.sources import check_tables
from features.dialect import SPARK
from features.labels import check_label_coverage, labels_sql
from features.query import SnapshotConfig, snapshot_sql

_SPARK_TYPES = {
    "int64": "BIGINT",
    "float64": "DOUBLE",
    "string": "STRING",
    "bool": "BOOLEAN",
    "date": "DATE",
    "timestamp": "TIMESTAMP_NTZ",
}


def local_session(threads: int = 2, shuffle_partitions: int = 4):
    """A local SparkSession for tests and single-machine runs: UI off, UTC, few partitions.

    Raw times are naive local times; a UTC session keeps Spark from shifting them.
    """
    from pyspark.sql import SparkSession

    return (
        SparkSession.builder.master(f"local[{threads}]")
        .appName("retain-features")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", str(shuffle_partitions))
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.driver.memory", "2g")
        .config("spark.sql.parquet.inferTimestampNTZ.enabled", "true")
        .getOrCreate()
    )


def register_raw(spark, raw: Path) -> set[str]:
    """One temporary view per raw table (typed, empty views for absent ones); the present
    tables' names. The files are checked against the contract first. Absent optional
    columns of a present table are typed nulls, as in the DuckDB views
    (`features.contract.schema.Table.select_sql`): one layout for every reader."""
    files = check_tables(raw)
    for name, table in TABLES.items():
        if name in files:
            frame = spark.read.parquet(*[str(p) for p in files[name]])
            present = set(frame.columns)
            frame = frame.selectExpr(
                *(
                    f"`{c.name}`"
                    if c.name in present
                    else f"CAST(NULL AS {_SPARK_TYPES[c.dtype]}) AS `{c.name}`"
                    for c in table.columns
                )
            )
        else:
            cols = ", ".join(f"`{c.name}` {_SPARK_TYPES[c.dtype]}" for c in table.columns)
            frame = spark.createDataFrame([], cols)
        frame.createOrReplaceTempView(name)
    return set(files)


def snapshot_frame(spark, as_of: date, config: SnapshotConfig, tables: set[str]):
    """The snapshot as a Spark DataFrame, for writing out at scale."""
    return spark.sql(snapshot_sql(as_of, config, SPARK, tables))


def build_snapshot_spark(
    spark,
    raw: Path,
    as_of: date,
    config: SnapshotConfig = SnapshotConfig(),
    labels: bool = False,
) -> pd.DataFrame:
    """`features.snapshot.build_snapshot` on Spark: same rows, columns and values."""
    tables = register_raw(spark, raw)
    frame = snapshot_frame(spark, as_of, config, tables).toPandas()
    if labels:
        if "usage_daily" in tables:
            column, query = "usage_daily.date", "SELECT max(date) FROM usage_daily"
        else:
            column, query = "recharges.ts", "SELECT CAST(max(ts) AS DATE) FROM recharges"
        check_label_coverage(spark.sql(query).collect()[0][0], as_of, config, column)
        lab = spark.sql(labels_sql(as_of, config, SPARK, tables)).toPandas()
        frame = frame.merge(lab, on="subscriber_id", how="left", validate="one_to_one")
    frame["as_of"] = pd.to_datetime(frame["as_of"]).dt.date
    frame.attrs["tables"] = sorted(tables)
    return frame
