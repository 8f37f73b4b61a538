"""Training snapshots on Spark: each cutoff's labelled snapshot built and written by Spark.

The same compiled SQL as `features.training_set.write_training_snapshots` (DuckDB), with the
labels joined on Spark, written by Spark's executors as a folder of Parquet parts per
cutoff; the driver never holds a snapshot. `features.training_set.sample_training_set`
then draws the one stratified, seeded, weighted sample from those parts in DuckDB, so both
engines give the same sample (`tests/features/test_spark_training.py`).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import date
from pathlib import Path

from features.query import SnapshotConfig
from features.spark_engine import labels_frame, register_raw, snapshot_frame
from features.training_set import check_cutoffs

__all__ = ["write_training_snapshots_spark"]

log = logging.getLogger(__name__)


def write_training_snapshots_spark(
    spark,
    raw: Path,
    cutoffs: Sequence[date],
    folder: Path,
    config: SnapshotConfig = SnapshotConfig(),
) -> tuple[dict[date, str], set[str]]:
    """One labelled snapshot per cutoff, written by Spark to `folder/cutoff-<date>/` (the
    caller owns `folder`); the Parquet parts of each cutoff as a glob DuckDB reads, and the
    raw tables present. Raises ValueError when the data do not cover a cutoff's labels."""
    check_cutoffs(cutoffs)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    tables = register_raw(spark, raw)
    files = {}
    for as_of in cutoffs:
        labels = labels_frame(spark, as_of, config, tables)
        snap = snapshot_frame(spark, as_of, config, tables)
        # The DuckDB writer's layout: the snapshot's columns, then the labels'.
        frame = snap.join(labels, on="subscriber_id", how="left").select(
            *snap.columns, *[c for c in labels.columns if c != "subscriber_id"]
        )
        out = folder / f"cutoff-{as_of.isoformat()}"
        frame.write.mode("error").parquet(str(out))
        files[as_of] = str(out / "*.parquet")
        log.info("snapshot %s written by Spark -> %s", as_of, out)
    return files, tables
