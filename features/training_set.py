"""Training sets: labelled snapshots at several monthly cutoffs, stacked, with a manifest.

Each cutoff is a point-in-time snapshot (eligibility and labels as DESIGN §4 states them,
see `features.query`); the manifest records what a model was trained on: the cutoffs with
their row counts and churn rates, the raw tables present and the feature schema version.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd

from features.definitions import feature_schema_version
from features.snapshot import SnapshotConfig, build_snapshot, connect, present_tables

log = logging.getLogger(__name__)


def build_training_set(
    raw: Path | duckdb.DuckDBPyConnection,
    cutoffs: Sequence[date],
    config: SnapshotConfig = SnapshotConfig(),
) -> tuple[pd.DataFrame, dict]:
    """Labelled snapshots at each cutoff, stacked in cutoff order; and their manifest."""
    if not cutoffs:
        raise ValueError("cutoffs: need at least one snapshot date")
    if sorted(set(cutoffs)) != list(cutoffs):
        raise ValueError(f"cutoffs: must be strictly increasing, got {list(cutoffs)}")
    con = raw if isinstance(raw, duckdb.DuckDBPyConnection) else connect(raw)
    parts = []
    for as_of in cutoffs:
        snap = build_snapshot(con, as_of, config, labels=True)
        log.info("snapshot %s: %d eligible subscribers", as_of, len(snap))
        parts.append(snap)
    frame = pd.concat(parts, ignore_index=True)
    manifest = {
        "feature_schema_version": feature_schema_version(),
        "tables": sorted(present_tables(con)),
        "cutoffs": [
            {
                "as_of": as_of.isoformat(),
                "rows": len(p),
                "churn_rate": round(float(p[config.churn_label].mean()), 6) if len(p) else None,
            }
            for as_of, p in zip(cutoffs, parts, strict=True)
        ],
        "rows": len(frame),
        "churn_horizon_days": config.churn_horizon_days,
        "value_horizon_days": config.value_horizon_days,
        "eligibility_days": config.eligibility_days,
    }
    return frame, manifest
