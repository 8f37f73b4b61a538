"""The batch job on Spark, for bases that do not fit one machine.

The same `split_valid` and `score_columns` run inside `mapInPandas`: each executor
rebuilds the pinned models once from their native text (broadcast with the calibration),
so Spark and the local job give the same rows. Duplicated ids keep their first occurrence
in file order, as in the local job; rows in = scored + rejected is checked and written.
"""

from __future__ import annotations

import functools
import json
import logging
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import lightgbm as lgb
import pandas as pd
import pyarrow as pa

from features.artefacts.calibration import Calibration
from features.vector import split_valid
from serving.answer import ANSWER_SCHEMA
from serving.batch.chunks import BatchConfig, BatchResult, write_reconciliation
from serving.registry import Models, PinnedModel
from serving.scoring import score_columns, to_arrow
from serving.segments import top_share

log = logging.getLogger(__name__)
_ROW, _DUP = "_retain_row", "_retain_dup"


def _spark_schema(schema: pa.Schema):
    from pyspark.sql.pandas.types import from_arrow_schema

    return from_arrow_schema(schema)


def _pack(models: Models) -> str:
    def one(m: PinnedModel) -> dict:
        return {
            "name": m.name,
            "version": m.version,
            "fsv": m.feature_schema_version,
            "model": m.booster.model_to_string(),
            "calibration": m.calibration.to_json(),
        }

    return json.dumps(
        {
            "churn": one(models.churn),
            "value": one(models.value),
            "horizon": models.value_horizon_days,
        }
    )


@functools.lru_cache(maxsize=2)
def _unpack(text: str) -> Models:
    d = json.loads(text)

    def one(m: dict) -> PinnedModel:
        return PinnedModel(
            m["name"],
            m["version"],
            lgb.Booster(model_str=m["model"]),
            m["fsv"],
            Calibration.from_json(m["calibration"]),
        )

    return Models(one(d["churn"]), one(d["value"]), d["horizon"])


OUT_SCHEMA = ANSWER_SCHEMA.append(pa.field("reject_reason", pa.string())).append(
    pa.field("revenue_vnd_sum_90d", pa.float64())
)


def _score_partitions(packed, config: BatchConfig):
    def run(batches: Iterator[pd.DataFrame]) -> Iterator[pa.RecordBatch]:
        models = _unpack(packed.value)
        for chunk in batches:
            chunk = chunk.reset_index(drop=True)
            dup = chunk.pop(_DUP).to_numpy(dtype=bool)
            chunk = chunk.drop(columns=[_ROW])
            valid, rejects = split_valid(chunk)
            late = valid.index[dup[valid.index]]
            if len(late):
                extra = valid.loc[late].copy()
                extra["reject_reason"] = "subscriber_id: duplicate"
                rejects, valid = pd.concat([rejects, extra]), valid.drop(index=late)
            if len(valid):
                cols = {c: valid[c].to_numpy() for c in valid.columns}
                t = to_arrow(score_columns(cols, models, config.segments, config.reasons))
                t = t.append_column("reject_reason", pa.nulls(len(t), pa.string()))
                t = t.append_column(
                    "revenue_vnd_sum_90d",
                    pa.array(valid["revenue_vnd_sum_90d"].to_numpy(dtype=float)),
                )
                yield from t.cast(OUT_SCHEMA).to_batches()
            if len(rejects):
                n = len(rejects)
                cols = {f.name: pa.nulls(n, f.type) for f in OUT_SCHEMA}
                cols["subscriber_id"] = pa.array(
                    pd.to_numeric(rejects["subscriber_id"], errors="coerce").astype("Int64"),
                    type=pa.int64(),
                    from_pandas=True,
                )
                cols["as_of"] = pa.array(
                    pd.to_datetime(rejects["as_of"], errors="coerce").dt.date,
                    type=pa.date32(),
                    from_pandas=True,
                )
                cols["reject_reason"] = pa.array(rejects["reject_reason"].astype(str).tolist())
                yield from pa.table(cols, schema=OUT_SCHEMA).to_batches()

    return run


def score_spark(
    spark, vectors_path: Path, models: Models, out: Path, config: BatchConfig = BatchConfig()
) -> BatchResult:
    """Score a Parquet file (or folder) of vectors with Spark; write `scores/` and
    `rejects/` Parquet folders and the reconciliation under `out`."""
    from pyspark.sql import functions as F
    from pyspark.sql.window import Window

    out = Path(out)
    df = spark.read.parquet(str(vectors_path)).withColumn(_ROW, F.monotonically_increasing_id())
    first = Window.partitionBy("subscriber_id").orderBy(_ROW)
    df = df.withColumn(
        _DUP, F.col("subscriber_id").isNotNull() & (F.row_number().over(first) > 1)
    ).orderBy(_ROW)
    packed = spark.sparkContext.broadcast(_pack(models))
    scored = df.mapInPandas(_pandas_runner(packed, config), _spark_schema(OUT_SCHEMA)).cache()
    rows_in = df.count()
    ok = scored.filter(F.col("reject_reason").isNull())
    bad = scored.filter(F.col("reject_reason").isNotNull())
    tmp = out / ".spark.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    ok.drop("reject_reason", "revenue_vnd_sum_90d").write.parquet(str(tmp / "scores"))
    bad.select(
        "subscriber_id", F.col("as_of").cast("string").alias("as_of"), "reject_reason"
    ).write.parquet(str(tmp / "rejects"))
    for name in ("scores", "rejects"):
        shutil.rmtree(out / name, ignore_errors=True)
        (tmp / name).replace(out / name)
    shutil.rmtree(tmp, ignore_errors=True)
    sums = ok.agg(F.count("*").alias("n")).first()
    tiers = {r["value_tier"]: int(r["count"]) for r in ok.groupBy("value_tier").count().collect()}
    reject_counts = {
        r["k"]: int(r["count"])
        for r in bad.select(F.split("reject_reason", ":")[0].alias("k"))
        .groupBy("k")
        .count()
        .collect()
    }
    sample = ok.select("revenue_vnd_sum_90d", "predicted_value_vnd").toPandas()
    result = BatchResult(
        scores_path=out / "scores",
        rejects_path=out / "rejects",
        rows_in=rows_in,
        rows_scored=int(sums["n"]),
        rows_rejected=sum(reject_counts.values()),
        revenue_top20_share=top_share(sample["revenue_vnd_sum_90d"]),
        predicted_value_top20_share=top_share(sample["predicted_value_vnd"]),
        tier_counts=dict(sorted(tiers.items())),
        reject_counts=dict(sorted(reject_counts.items())),
    )
    scored.unpersist()
    if result.rows_in != result.rows_scored + result.rows_rejected:
        raise AssertionError(f"reconciliation failed: {result.as_dict()}")
    write_reconciliation(out, result, models)
    return result


def _pandas_runner(packed, config: BatchConfig):
    run = _score_partitions(packed, config)

    def pandas(frames: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        for batch in run(frames):
            yield batch.to_pandas()

    return pandas


def score_parquet_spark(
    vectors_path: Path, models: Models, out: Path, config: BatchConfig = BatchConfig()
) -> BatchResult:
    """`score_spark` on a local Spark session (`local[*]`) unless one is already active; its
    Python workers run this interpreter, which has the scoring path's dependencies."""
    from pyspark.sql import SparkSession

    spark = (
        SparkSession.builder.master("local[*]")
        .appName("retain-score")
        .config("spark.pyspark.python", sys.executable)
        .getOrCreate()
    )
    return score_spark(spark, vectors_path, models, out, config)
