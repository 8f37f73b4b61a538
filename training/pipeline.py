"""Train, evaluate against baselines, log and register: the retraining job."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import mlflow
import pandas as pd

from features.definitions import feature_schema_version
from features.settings import Settings
from training import tracking
from training.config import TrainConfig
from training.dataset import build_training_set, temporal_split
from training.evaluate import beats, churn_table, value_table
from training.models import ChurnModel, RecencyBaseline, TrailingRevenueBaseline, ValueModel

log = logging.getLogger(__name__)


@dataclass
class Fitted:
    churn: ChurnModel
    value: ValueModel
    churn_test: pd.DataFrame  # metrics on the test snapshot, rows model / baseline
    value_test: pd.DataFrame
    test: pd.DataFrame  # the test snapshot, with labels
    train_rows: dict[str, int]


def fit_and_evaluate(frame: pd.DataFrame, config: TrainConfig) -> Fitted:
    """Fit both models on the temporal split of `frame` and evaluate them on the test cutoff."""
    snap = config.snapshot
    y_c, y_v = snap.churn_label, snap.value_label
    cs = temporal_split(frame, config.validation_as_of, config.test_as_of, snap.churn_horizon_days)
    vs = temporal_split(frame, config.validation_as_of, config.test_as_of, snap.value_horizon_days)
    churn = ChurnModel(config=config.churn, seed=config.seed, threads=config.threads).fit(
        cs.train, cs.train[y_c], cs.validation, cs.validation[y_c]
    )
    value = ValueModel(config=config.value, seed=config.seed, threads=config.threads).fit(
        vs.train, vs.train[y_v], vs.validation, vs.validation[y_v]
    )
    test = cs.test
    recency = RecencyBaseline().fit(cs.train, cs.train[y_c])
    trailing = TrailingRevenueBaseline(horizon_days=snap.value_horizon_days)
    return Fitted(
        churn=churn,
        value=value,
        churn_test=churn_table(
            test[y_c], {"model": churn.predict_proba(test), "baseline": recency.predict_proba(test)}
        ),
        value_test=value_table(
            test[y_v], {"model": value.predict(test), "baseline": trailing.predict(test)}
        ),
        test=test,
        train_rows={"churn": len(cs.train), "value": len(vs.train)},
    )


@dataclass(frozen=True)
class TrainResult:
    run_id: str
    churn_version: str
    value_version: str
    churn_champion: bool
    value_champion: bool
    churn_test: pd.DataFrame
    value_test: pd.DataFrame


def train(raw: Path, config: TrainConfig, settings: Settings) -> TrainResult:
    """Build the training set from `raw`, fit, evaluate, log to MLflow and register both
    models; move the `champion` alias to a model only when it beats its baseline."""
    frame, manifest = build_training_set(raw, config.cutoffs, config.snapshot)
    fitted = fit_and_evaluate(frame, config)
    exp = tracking.experiment_id(settings)
    with mlflow.start_run(experiment_id=exp, run_name=f"train-{config.test_as_of}") as run:
        mlflow.log_params(config.flat() | {"feature_schema_version": feature_schema_version()})
        mlflow.log_dict(manifest | {"train_rows": fitted.train_rows}, "training_manifest.json")
        for kind, table in (("churn", fitted.churn_test), ("value", fitted.value_test)):
            for scorer, row in table.iterrows():
                mlflow.log_metrics({f"test_{kind}_{scorer}_{m}": float(v) for m, v in row.items()})
            mlflow.log_text(table.to_csv(), f"evaluation/{kind}_test.csv")
        mlflow.log_metrics(
            {
                "churn_best_iteration": fitted.churn.best_iteration_,
                "value_best_iteration": fitted.value.best_iteration_,
            }
        )
        test = fitted.test
        churn_ok = beats(fitted.churn_test, "roc_auc")
        value_ok = beats(fitted.value_test, "normalized_gini")
        tags = {"run_id": run.info.run_id, "test_as_of": config.test_as_of.isoformat()}
        churn_v = tracking.log_booster(
            fitted.churn.booster_,
            "churn_model",
            test,
            pd.Series(fitted.churn.predict_proba(test.head(5)), name="churn_probability"),
            settings.churn_model,
            tags | {"beats_baseline": churn_ok},
        )
        value_v = tracking.log_booster(
            fitted.value.booster_,
            "value_model",
            test,
            pd.Series(fitted.value.predict(test.head(5)), name=config.snapshot.value_label),
            settings.value_model,
            tags | {"beats_baseline": value_ok},
        )
        if churn_ok:
            tracking.set_alias(settings.churn_model, settings.alias, churn_v)
        if value_ok:
            tracking.set_alias(settings.value_model, settings.alias, value_v)
    return TrainResult(
        run.info.run_id, churn_v, value_v, churn_ok, value_ok, fitted.churn_test, fitted.value_test
    )
