"""Raw operator events to one point-in-time behaviour vector per subscriber, with labels.

Wings: `contract` (the data contract: schema, validate, clean, the file edge), `families`
(the feature declarations per concern), `synthetic` (the synthetic operator; never imported
by training or serving), `artefacts` (the formats training writes and serving reads).
Here: settings, definitions, the snapshot and label queries (DuckDB, or Spark), the training
set, value tiers and drift.

The names below load lazily (PEP 562): importing the package runs no submodule.
"""

from __future__ import annotations

from features.api import lazy_api

__all__, __getattr__ = lazy_api(
    __name__,
    {
        "Settings": "features.settings",
        "FEATURES": "features.definitions",
        "FEATURE_NAMES": "features.definitions",
        "CATEGORICAL": "features.definitions",
        "NUMERIC": "features.definitions",
        "feature_schema_version": "features.definitions",
        "SnapshotConfig": "features.query",
        "build_snapshot": "features.snapshot",
        "write_snapshot": "features.snapshot",
        "connect": "features.snapshot",
        "labels_sql": "features.labels",
        "build_training_set": "features.training_set",
        "write_training_snapshots": "features.training_set",
        "sample_training_set": "features.training_set",
        "TrainingSample": "features.training_set",
        "SampleConfig": "features.sampling",
        "model_frame": "features.vector",
        "split_valid": "features.vector",
        "SegmentConfig": "features.tiers",
        "value_tier": "features.tiers",
        "VALUE_TIERS": "features.tiers",
        "RISK_BANDS": "features.tiers",
        "RELATIONSHIP_STATES": "features.tiers",
        "DriftThresholds": "features.drift",
        "drift_table": "features.drift",
        "write_catalog": "features.catalog",
        "build_snapshot_spark": "features.spark_engine",
        "SparkConfig": "features.spark_engine",
        "ENGINES": "features.spark_engine",
        "write_training_snapshots_spark": "features.spark_training",
        "RANGES": "features.vector",
    },
)
