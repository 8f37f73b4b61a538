"""One definition, two engines: the same snapshot on DuckDB and on Spark (local mode)."""

from __future__ import annotations

import shutil
from datetime import date

import pandas as pd
import pytest

from features.definitions import FEATURE_NAMES
from features.snapshot import build_snapshot
from features.spark_engine import build_snapshot_spark, local_session

AS_OF = date(2025, 6, 1)


@pytest.fixture(scope="module")
def spark():
    session = local_session(threads=2, shuffle_partitions=4)
    yield session
    session.stop()


def test_duckdb_and_spark_give_equal_snapshots(tiny_raw, spark):
    duck = build_snapshot(tiny_raw, AS_OF, labels=True)
    on_spark = build_snapshot_spark(spark, tiny_raw, AS_OF, labels=True)
    assert len(duck) > 500 and list(on_spark.columns) == list(duck.columns)
    pd.testing.assert_frame_equal(on_spark, duck, check_dtype=False, rtol=1e-9, atol=1e-9)


def test_recharge_log_alone_on_both_engines(tiny_raw, tmp_path, spark):
    """Subscribers and a top-up log are enough: RFM features and value labels, both engines."""
    for name in ("subscribers", "recharges"):
        shutil.copytree(tiny_raw / name, tmp_path / name)
    duck = build_snapshot(tmp_path, AS_OF, labels=True)
    on_spark = build_snapshot_spark(spark, tmp_path, AS_OF, labels=True)
    pd.testing.assert_frame_equal(on_spark, duck, check_dtype=False, rtol=1e-9, atol=1e-9)
    assert duck.attrs["tables"] == ["recharges", "subscribers"]
    assert duck[["recharge_count_30d", "tenure_days"]].notna().all().all()
    assert duck["days_since_last_recharge"].notna().mean() > 0.9  # new SIMs may not top up yet
    assert duck["data_mb_sum_30d"].isna().all() and duck["care_contacts_count_90d"].isna().all()
    assert (duck["value_vnd_90d"] > 0).mean() > 0.5
    assert set(duck.columns) >= set(FEATURE_NAMES)


def test_fewest_columns_recharge_only_operator_on_both_engines(tiny_raw, tmp_path, spark):
    """Subscribers with only an id and an activation date, top-ups with only id, time and
    amount, no other table: Spark reads the absent optional columns as nulls, as DuckDB."""
    import pyarrow.parquet as pq

    for name, columns in (
        ("subscribers", ["subscriber_id", "activation_date"]),
        ("recharges", ["subscriber_id", "ts", "amount_vnd"]),
    ):
        (tmp_path / name).mkdir()
        table = pq.read_table(tiny_raw / name, columns=columns)
        pq.write_table(table, tmp_path / name / "part-00000.parquet")
    duck = build_snapshot(tmp_path, AS_OF, labels=True)
    on_spark = build_snapshot_spark(spark, tmp_path, AS_OF, labels=True)
    assert len(duck) > 500 and list(on_spark.columns) == list(duck.columns)
    pd.testing.assert_frame_equal(on_spark, duck, check_dtype=False, rtol=1e-9, atol=1e-9)
    assert duck["contract_type"].isna().all() and duck["recharge_count_30d"].notna().all()
