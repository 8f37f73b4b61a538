"""Training sets: monthly snapshots stacked, and the temporal split by snapshot date."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pandas as pd

from features.definitions import feature_schema_version
from features.snapshot import SnapshotConfig, build_snapshot, connect

log = logging.getLogger(__name__)


def build_training_set(
    raw: Path, cutoffs: list[date], config: SnapshotConfig = SnapshotConfig()
) -> tuple[pd.DataFrame, dict]:
    """Labelled snapshots at each cutoff, stacked; and a manifest of cutoffs and row counts."""
    con = connect(raw)
    parts = []
    for as_of in cutoffs:
        snap = build_snapshot(con, as_of, config, labels=True)
        log.info("snapshot %s: %d eligible subscribers", as_of, len(snap))
        parts.append(snap)
    frame = pd.concat(parts, ignore_index=True)
    manifest = {
        "feature_schema_version": feature_schema_version(),
        "cutoffs": [
            {
                "as_of": p["as_of"].iloc[0].isoformat() if len(p) else c.isoformat(),
                "rows": len(p),
                "churn_rate": float(p[config.churn_label].mean()) if len(p) else None,
            }
            for c, p in zip(cutoffs, parts, strict=True)
        ],
        "rows": len(frame),
        "churn_horizon_days": config.churn_horizon_days,
        "value_horizon_days": config.value_horizon_days,
    }
    return frame, manifest


@dataclass(frozen=True)
class Split:
    train: pd.DataFrame
    validation: pd.DataFrame
    test: pd.DataFrame


def temporal_split(
    frame: pd.DataFrame, validation_as_of: date, test_as_of: date, label_days: int
) -> Split:
    """Train on snapshots whose label window [as_of, as_of + label_days) ends by the
    validation cutoff, validate on the validation snapshot, test on the test snapshot."""
    if not validation_as_of < test_as_of:
        raise ValueError(
            f"validation_as_of {validation_as_of} must precede test_as_of {test_as_of}"
        )
    last_train = validation_as_of - timedelta(days=label_days)
    train = frame[frame["as_of"] <= last_train]
    if train.empty:
        raise ValueError(
            f"as_of: no snapshot on or before {last_train} to train on (label windows of "
            f"{label_days} days must end by the validation cutoff {validation_as_of})"
        )
    return Split(
        train=train,
        validation=frame[frame["as_of"] == validation_as_of],
        test=frame[frame["as_of"] == test_as_of],
    )
