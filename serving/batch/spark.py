"""The whole batch job on Spark, for bases that do not fit one machine.

The executors run what the local job runs on each chunk: `split_valid`, the duplicate rule
and `score_columns`, inside `mapInPandas`, each rebuilding the pinned models once from their
native text (churn, value, their calibration, and the uplift boosters with their spec,
broadcast as JSON). Scores and rejects are written by the executors as Parquet folders
(`scores/`, `rejects/`). The driver then collects, in file order, only what planning and the
report need (ids, tiers, trailing revenue, predicted value, the offer gains, and the first
vectors for drift) and closes the run with the local job's own `finish`: the same campaign
list with its control group, reconciliation, drift and report.

The driver holds one row of (id, tier, two amounts, one gain per offer) per scored
subscriber: about 60 bytes with four offers, 1.8 GB at 30 million.
"""

from __future__ import annotations

import logging
import shutil
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from features.labels import trailing_revenue_vnd_90d
from features.vector import split_valid
from serving.answer import ANSWER_SCHEMA
from serving.batch.campaign_reasons import parquet_batches, reasons_for
from serving.batch.chunks import BatchConfig
from serving.batch.outputs import sole_writer, sweep_temporaries
from serving.batch.packed import pack, unpack
from serving.batch.reconcile import BatchResult, reject_duplicates
from serving.batch.report import DRIFT_SAMPLE_ROWS
from serving.batch.tally import REPORT_ATTRIBUTES, Tally, finish
from serving.registry import Models
from serving.scoring import OFFER_GAINS, score_columns, to_arrow

log = logging.getLogger(__name__)
_ROW, _DUP = "_retain_row", "_retain_dup"
_GAIN = "_retain_gain_"  # + offer index: the offer gains, outside the answer


def _spark_schema(schema: pa.Schema):
    from pyspark.sql.pandas.types import from_arrow_schema

    return from_arrow_schema(schema)


def _out_schema(offers: int) -> pa.Schema:
    schema = ANSWER_SCHEMA.append(pa.field("reject_reason", pa.string()))
    schema = schema.append(pa.field("revenue_vnd_sum_90d", pa.float64()))
    schema = schema.append(pa.field(_ROW, pa.int64()))
    for i in range(offers):
        schema = schema.append(pa.field(f"{_GAIN}{i}", pa.float64()))
    return schema


def _offers(models: Models) -> list[str]:
    if models.uplift is None or models.catalogue is None:
        return []
    return [o.offer_id for o in models.catalogue.offers]


def _score_partitions(packed, catalogue, config: BatchConfig, schema: pa.Schema):
    offers = sum(1 for n in schema.names if n.startswith(_GAIN))

    def run(batches: Iterator[pd.DataFrame]) -> Iterator[pa.RecordBatch]:
        models = unpack(packed.value, catalogue)
        for chunk in batches:
            chunk = chunk.reset_index(drop=True)
            dup = chunk.pop(_DUP).to_numpy(dtype=bool)
            rows = chunk.pop(_ROW).to_numpy(dtype=np.int64)
            valid, rejects = split_valid(chunk)
            valid, rejects = reject_duplicates(valid, rejects, dup[valid.index])
            if len(valid):
                cols = {c: valid[c].to_numpy() for c in valid.columns}
                answer = score_columns(
                    cols, models, config.segments, config.reasons, language=config.language
                )
                t = to_arrow(answer)
                t = t.append_column("reject_reason", pa.nulls(len(t), pa.string()))
                t = t.append_column(
                    "revenue_vnd_sum_90d",  # trailing revenue as the local job reads it
                    pa.array(trailing_revenue_vnd_90d(valid).astype(float)),
                )
                t = t.append_column(_ROW, pa.array(rows[valid.index]))
                gains = np.asarray(answer[OFFER_GAINS], dtype=float).reshape(len(t), offers)
                for i in range(offers):
                    t = t.append_column(f"{_GAIN}{i}", pa.array(gains[:, i]))
                yield from t.cast(schema).to_batches()
            if len(rejects):
                yield from _reject_rows(rejects, rows, schema).to_batches()

    return run


def _reject_rows(rejects: pd.DataFrame, rows: np.ndarray, schema: pa.Schema) -> pa.Table:
    n = len(rejects)
    cols = {f.name: pa.nulls(n, f.type) for f in schema}
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
    cols[_ROW] = pa.array(rows[rejects.index.to_numpy()])
    return pa.table(cols, schema=schema)


def score_spark(
    spark, vectors_path: Path, models: Models, out: Path, config: BatchConfig = BatchConfig()
) -> BatchResult:
    """Score a Parquet file (or folder) of vectors with Spark: `scores/` and `rejects/`
    Parquet folders, then the campaign list, reconciliation and report as the local job
    writes them, under `out`."""
    out = Path(out)
    with sole_writer(out):
        sweep_temporaries(out)
        return _score_spark(spark, vectors_path, models, out, config)


def _score_spark(spark, vectors_path, models: Models, out: Path, config) -> BatchResult:
    from pyspark.sql import functions as F
    from pyspark.sql.window import Window

    offers = _offers(models)
    schema = _out_schema(len(offers))
    df = spark.read.parquet(str(vectors_path)).withColumn(_ROW, F.monotonically_increasing_id())
    first = Window.partitionBy("subscriber_id").orderBy(_ROW)
    df = df.withColumn(
        _DUP, F.col("subscriber_id").isNotNull() & (F.row_number().over(first) > 1)
    ).orderBy(_ROW)
    packed = spark.sparkContext.broadcast(pack(models))
    runner = _pandas_runner(packed, models.catalogue, config, schema)
    scored = df.mapInPandas(runner, _spark_schema(schema)).cache()
    ok = scored.filter(F.col("reject_reason").isNull())
    bad = scored.filter(F.col("reject_reason").isNotNull())
    extra = [
        "reject_reason",
        "revenue_vnd_sum_90d",
        _ROW,
        *(f"{_GAIN}{i}" for i in range(len(offers))),
    ]
    tmp = out / ".spark.tmp"
    shutil.rmtree(tmp, ignore_errors=True)  # Retain's own staging folder, from a killed run
    ok.orderBy(_ROW).drop(*extra).write.parquet(str(tmp / "scores"))
    bad.orderBy(_ROW).select(
        "subscriber_id", F.col("as_of").cast("string").alias("as_of"), "reject_reason"
    ).write.parquet(str(tmp / "rejects"))
    for name in ("scores", "rejects"):
        shutil.rmtree(out / name, ignore_errors=True)  # the folder an earlier run wrote
        (tmp / name).replace(out / name)
    shutil.rmtree(tmp, ignore_errors=True)
    tally = _collect(df, ok, bad, offers, config)
    scored.unpersist()
    # Without reasons on every row, the campaign rows get theirs from the input read again.
    again = None
    if not config.reasons:
        again = reasons_for(
            parquet_batches(vectors_path, config.chunk_rows), models, config.language
        )
    return finish(out, tally, models, config, out / "scores", out / "rejects", again)


def _collect(df, ok, bad, offers: list[str], config: BatchConfig) -> Tally:
    """The driver's share of the run, in file order (as the local job adds its chunks)."""
    from pyspark.sql import functions as F

    tally = Tally(rows_in=df.count())
    gains = [f"{_GAIN}{i}" for i in range(len(offers))]
    cols = ["subscriber_id", "value_tier", "revenue_vnd_sum_90d", "predicted_value_vnd", "as_of"]
    attributes = df.select(_ROW, *REPORT_ATTRIBUTES)  # the vectors' columns, for the report
    rows = ok.select(_ROW, *cols, *gains).join(attributes, _ROW).orderBy(_ROW).toPandas()
    vectors = None
    if config.reference is not None:
        first = rows[_ROW].head(DRIFT_SAMPLE_ROWS).tolist()
        vectors = df.filter(F.col(_ROW).isin(first)).orderBy(_ROW).drop(_ROW, _DUP).toPandas()
    tally.add_scored(
        rows["subscriber_id"].to_numpy(),
        rows["value_tier"],
        rows["revenue_vnd_sum_90d"].to_numpy(dtype=np.float32),
        rows["predicted_value_vnd"].to_numpy(),
        rows[gains].to_numpy(dtype=float).reshape(len(rows), len(offers)),
        rows["as_of"].iloc[0] if len(rows) else None,
        vectors,
        rows[list(REPORT_ATTRIBUTES)],
    )
    tally.add_rejected(r["reject_reason"] for r in bad.select("reject_reason").collect())
    return tally


def _pandas_runner(packed, catalogue, config: BatchConfig, schema: pa.Schema):
    run = _score_partitions(packed, catalogue, config, schema)

    def pandas(frames: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        for batch in run(frames):
            yield batch.to_pandas()

    return pandas


def score_parquet_spark(
    vectors_path: Path, models: Models, out: Path, config: BatchConfig = BatchConfig()
) -> BatchResult:
    """`score_spark` on `spark_session()` (`features.spark_engine.SparkConfig`: master and
    executor settings from RETAIN_SPARK_MASTER and RETAIN_SPARK_CONF)."""
    from features.spark_engine import spark_session

    return score_spark(spark_session(app_name="retain-score"), vectors_path, models, out, config)
