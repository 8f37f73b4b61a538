"""One temporal fold: fit on snapshots whose labels ended before the validation cutoff,
calibrate (churn) on the validation snapshot, score the test snapshot beside the baselines."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from features.artefacts.calibration import Calibration
from training.calibrate import fit_calibration
from training.config import TrainConfig
from training.dataset import row_weights, temporal_split
from training.models import (
    ChurnModel,
    HurdleValueModel,
    RecencyBaseline,
    TrailingRevenueBaseline,
    ValueModel,
)


@dataclass
class ChurnFold:
    model: ChurnModel
    calibration: Calibration
    test: pd.DataFrame
    scores: dict[str, np.ndarray]  # model (calibrated, what serving answers), model_raw, baseline
    train_rows: int


@dataclass
class ValueFold:
    model: ValueModel
    test: pd.DataFrame
    scores: dict[str, np.ndarray]  # model (Tweedie), hurdle (optional), baseline
    train_rows: int
    hurdle: HurdleValueModel | None = None
    retained: ValueModel | None = None  # value if retained: fitted on non-churners only


def fit_churn(
    frame: pd.DataFrame, validation_as_of: date, test_as_of: date, config: TrainConfig
) -> ChurnFold:
    snap = config.snapshot
    y = snap.churn_label
    s = temporal_split(frame, validation_as_of, test_as_of, snap.churn_horizon_days)
    w = row_weights(s.train)
    model = ChurnModel(config=config.churn, seed=config.seed, threads=config.threads).fit(
        s.train, s.train[y], s.validation, s.validation[y], sample_weight=w
    )
    # The validation snapshot is later than every training snapshot: an honest place to
    # learn how raw scores map to observed churn rates.
    calibration = fit_calibration(
        model.predict_proba(s.validation), s.validation[y].to_numpy(), config.calibration
    )
    raw = model.predict_proba(s.test)
    recency = RecencyBaseline().fit(s.train, s.train[y], sample_weight=w)
    return ChurnFold(
        model=model,
        calibration=calibration,
        test=s.test,
        scores={
            "model": calibration.apply(raw),
            "model_raw": raw,
            "baseline": recency.predict_proba(s.test),
        },
        train_rows=len(s.train),
    )


def fit_value(
    frame: pd.DataFrame,
    validation_as_of: date,
    test_as_of: date,
    config: TrainConfig,
    extras: bool = False,
) -> ValueFold:
    """Tweedie value model against the trailing-revenue baseline; with `extras`, also the
    hurdle model (compared in the table) and the value-if-retained model."""
    snap = config.snapshot
    y = snap.value_label
    s = temporal_split(frame, validation_as_of, test_as_of, snap.value_horizon_days)
    kw = {"config": config.value, "seed": config.seed, "threads": config.threads}
    w = row_weights(s.train)
    model = ValueModel(**kw, horizon_days=snap.value_horizon_days).fit(
        s.train, s.train[y], s.validation, s.validation[y], sample_weight=w
    )
    trailing = TrailingRevenueBaseline(horizon_days=snap.value_horizon_days)
    scores = {"model": model.predict(s.test)}
    fold = ValueFold(model=model, test=s.test, scores=scores, train_rows=len(s.train))
    if extras:
        fold.hurdle = HurdleValueModel(**kw).fit(
            s.train, s.train[y], s.validation, s.validation[y], sample_weight=w
        )
        scores["hurdle"] = fold.hurdle.predict(s.test)
        c = snap.churn_label
        tr, va = s.train[s.train[c] == 0], s.validation[s.validation[c] == 0]
        fold.retained = ValueModel(**kw, horizon_days=snap.value_horizon_days).fit(
            tr, tr[y], va, va[y], sample_weight=row_weights(tr)
        )
    scores["baseline"] = trailing.predict(s.test)
    return fold
