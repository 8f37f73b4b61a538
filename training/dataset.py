"""The temporal split by snapshot date. The stacked, labelled training set itself is built
by `features.training_set` (import it from there): whole (`build_training_set`) or sampled
(`sample_training_set`, with `sample_weight` and `uniform_draw`, see `features.sampling`)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, timedelta

import pandas as pd

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Split:
    train: pd.DataFrame
    validation: pd.DataFrame
    test: pd.DataFrame


def temporal_split(
    frame: pd.DataFrame, validation_as_of: date, test_as_of: date, label_days: int
) -> Split:
    """Train on snapshots whose label window [as_of, as_of + label_days) ends by the
    validation cutoff, validate on the validation snapshot, test on the test snapshot.

    On a sampled set, training reads every sampled row (weighted by `sample_weight`), and
    validation and test read the equal-probability subsample (`uniform_draw`), on which
    calibration, early stopping and every metric are unbiased without weights."""
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
    held = frame.get("uniform_draw", True)
    return Split(
        train=train,
        validation=frame[(frame["as_of"] == validation_as_of) & held],
        test=frame[(frame["as_of"] == test_as_of) & held],
    )


def row_weights(rows: pd.DataFrame):
    """The rows' `sample_weight` (inverse inclusion probability), or None when unsampled."""
    return rows["sample_weight"].to_numpy() if "sample_weight" in rows else None
