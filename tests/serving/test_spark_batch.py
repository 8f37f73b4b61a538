"""The Spark batch job (local mode) gives the local batch job's rows: same scores, same
rejects with the same reasons, and a reconciliation that holds."""

import json
import math
import os
import sys

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from features.spark_engine import local_session
from serving.batch.chunks import BatchConfig, score_parquet
from serving.batch.spark import score_spark

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def spark():
    # mapInPandas runs Python workers: this interpreter, not whichever python3 is on PATH
    before = os.environ.get("PYSPARK_PYTHON")
    os.environ["PYSPARK_PYTHON"] = sys.executable
    session = local_session(threads=2, shuffle_partitions=2)
    yield session
    session.stop()
    if before is None:
        del os.environ["PYSPARK_PYTHON"]
    else:
        os.environ["PYSPARK_PYTHON"] = before


@pytest.fixture(scope="module")
def vectors_path(tiny_vectors, tmp_path_factory):
    """The tiny snapshot with three bad rows: no snapshot date, an infinity, and a
    duplicated id in another chunk (the later occurrence is the one rejected)."""
    bad = tiny_vectors.copy()
    bad["as_of"] = bad["as_of"].astype(object)
    bad.loc[0, "as_of"] = None
    bad.loc[1, "revenue_vnd_sum_30d"] = np.inf
    bad.loc[500, "subscriber_id"] = bad.loc[3, "subscriber_id"]
    path = tmp_path_factory.mktemp("spark_in") / "vectors.parquet"
    pq.write_table(pa.Table.from_pandas(bad, preserve_index=False), path)
    return path


def by_id(table: pa.Table) -> list[dict]:
    """Rows in id order; NaN (no offer gain, say) as None, since NaN never equals itself."""
    rows = [
        {k: None if isinstance(v, float) and math.isnan(v) else v for k, v in r.items()}
        for r in table.to_pylist()
    ]
    return sorted(rows, key=lambda r: (r["subscriber_id"], r.get("reject_reason") or ""))


def test_spark_rows_equal_local_rows(spark, tiny_models, vectors_path, tmp_path):
    config = BatchConfig(chunk_rows=300)
    local = score_parquet(vectors_path, tiny_models, tmp_path / "local", config)
    on_spark = score_spark(spark, vectors_path, tiny_models, tmp_path / "spark", config)

    local_scores = by_id(pq.read_table(local.scores_path))
    spark_scores = by_id(pq.read_table(on_spark.scores_path))
    assert len(local_scores) == on_spark.rows_scored == local.rows_scored
    assert spark_scores == local_scores
    assert all(1 <= len(r["reasons"]) <= 3 for r in spark_scores)

    spark_rejects = by_id(pq.read_table(on_spark.rejects_path))
    assert spark_rejects == by_id(pq.read_table(local.rejects_path))
    assert sorted(r["reject_reason"] for r in spark_rejects) == [
        "as_of: missing",
        "revenue_vnd_sum_30d: infinite",
        "subscriber_id: duplicate",
    ]

    recon = json.loads((tmp_path / "spark" / "reconciliation.json").read_text())
    assert recon["rows_in"] == recon["rows_scored"] + recon["rows_rejected"] == local.rows_in
    assert recon["rows_rejected"] == 3
    assert recon["reject_counts"] == {
        "as_of": 1,
        "revenue_vnd_sum_30d": 1,
        "subscriber_id": 1,
    }
    assert recon["tier_counts"] == local.tier_counts
    assert recon["revenue_top20_share"] == pytest.approx(local.revenue_top20_share, rel=1e-6)
    assert recon["predicted_value_top20_share"] == pytest.approx(
        local.predicted_value_top20_share, rel=1e-6
    )
    assert recon["churn_model_version"] == tiny_models.churn.ref
