"""Point-in-time snapshots on Apache Spark: the same compiled SQL as DuckDB, for big bases.

`features.query` compiles the declarations with the Spark dialect (`features.dialect`), so
the two engines run one definition; `tests/features/test_parity.py` requires equal results.
Locally (tests) the session runs in `local[2]`; on a cluster, pass the cluster's session.
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pandas as pd

from features.contract.schema import TABLES
from features.contract.sources import check_tables
from features.dialect import SPARK
from features.labels import check_label_coverage, labels_sql
from features.query import SnapshotConfig, snapshot_sql

ENGINES = ("local", "spark")  # where snapshots, training and the batch run: DuckDB/pandas, or Spark

_SPARK_TYPES = {
    "int64": "BIGINT",
    "float64": "DOUBLE",
    "string": "STRING",
    "bool": "BOOLEAN",
    "date": "DATE",
    "timestamp": "TIMESTAMP_NTZ",
}


@dataclass(frozen=True)
class SparkConfig:
    """Where Spark runs and with what, for `retain score --engine spark` and `retain train
    --engine spark` alike. Defaults suit this machine; on a cluster set RETAIN_SPARK_MASTER
    (e.g. `yarn`, `spark://host:7077`) and RETAIN_SPARK_CONF (JSON of Spark settings, which
    win over the ones below, e.g. `{"spark.executor.instances": "20"}`)."""

    master: str = "local[*]"
    driver_memory: str = "2g"
    executor_memory: str = "4g"
    executor_cores: int = 2
    shuffle_partitions: int = 8
    conf: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> SparkConfig:
        env = dict(os.environ if env is None else env)
        try:
            conf = json.loads(env.get("RETAIN_SPARK_CONF") or "{}")
        except json.JSONDecodeError as e:
            raise ValueError(f"RETAIN_SPARK_CONF: not JSON ({e.msg})") from e
        if not isinstance(conf, dict):
            raise ValueError("RETAIN_SPARK_CONF: need a JSON object of Spark settings")
        return cls(master=env.get("RETAIN_SPARK_MASTER") or cls.master, conf=conf)

    def settings(self) -> dict[str, str]:
        """Every Spark setting the session is built with. Raw times are naive local times:
        a UTC session keeps Spark from shifting them."""
        return {
            "spark.driver.memory": self.driver_memory,
            "spark.executor.memory": self.executor_memory,
            "spark.executor.cores": str(self.executor_cores),
            "spark.sql.shuffle.partitions": str(self.shuffle_partitions),
            "spark.sql.session.timeZone": "UTC",
            "spark.sql.parquet.inferTimestampNTZ.enabled": "true",
            "spark.ui.showConsoleProgress": "false",
            # Python workers run this interpreter, which has Retain's dependencies.
            "spark.pyspark.python": sys.executable,
        } | {k: str(v) for k, v in self.conf.items()}


def spark_session(config: SparkConfig | None = None, app_name: str = "retain"):
    """The active Spark session, or a new one built from `config` (default
    `SparkConfig.from_env()`)."""
    from pyspark.sql import SparkSession

    config = config or SparkConfig.from_env()
    settings = config.settings()
    # PySpark's driver picks the workers' interpreter from PYSPARK_PYTHON when the context
    # starts (else `python3` on PATH, which need not have pandas); `spark.pyspark.python`
    # only reaches it through spark-submit. An interpreter the caller chose stays.
    os.environ.setdefault("PYSPARK_PYTHON", settings["spark.pyspark.python"])
    builder = SparkSession.builder.master(config.master).appName(app_name)
    for key, value in settings.items():
        builder = builder.config(key, value)
    return builder.getOrCreate()


def local_session(threads: int = 2, shuffle_partitions: int = 4):
    """A local SparkSession for tests and single-machine runs: few partitions, UI off."""
    return spark_session(
        SparkConfig(
            master=f"local[{threads}]",
            shuffle_partitions=shuffle_partitions,
            conf={"spark.ui.enabled": "false"},
        ),
        app_name="retain-features",
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


def labels_frame(spark, as_of: date, config: SnapshotConfig, tables: set[str]):
    """The labels as of `as_of` as a Spark DataFrame, after checking that the data cover
    both label windows (ValueError otherwise, as the DuckDB engine)."""
    if "usage_daily" in tables:
        column, query = "usage_daily.date", "SELECT max(date) FROM usage_daily"
    else:
        column, query = "recharges.ts", "SELECT CAST(max(ts) AS DATE) FROM recharges"
    check_label_coverage(spark.sql(query).collect()[0][0], as_of, config, column)
    return spark.sql(labels_sql(as_of, config, SPARK, tables))


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
        lab = labels_frame(spark, as_of, config, tables).toPandas()
        frame = frame.merge(lab, on="subscriber_id", how="left", validate="one_to_one")
    frame["as_of"] = pd.to_datetime(frame["as_of"]).dt.date
    frame.attrs["tables"] = sorted(tables)
    return frame
