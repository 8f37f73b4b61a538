"""Train, evaluate and register the offer-uplift model."""

from __future__ import annotations

import logging
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

import mlflow
import pandas as pd
from mlflow import MlflowClient

from features.artefacts.tags import RUN_ID_TAG, SCHEMA_TAG
from features.definitions import feature_schema_version
from features.settings import Settings
from training import tracking
from training.uplift.choice import Choice, choose_learner
from training.uplift.data import campaign_history
from training.uplift.dr import DRUplift
from training.uplift.evaluation import (  # noqa: F401 (re-exported: bench, table_run)
    POOLED,
    _row,
    beats_random,
    evaluate,
    pooled_score,
)
from training.uplift.learners import LEARNERS, OfferUplift, UpliftConfig
from training.uplift.pooled import PooledSaveRate

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class UpliftTrainConfig:
    test_campaigns: int = 2  # the latest campaigns with covered labels evaluate
    seed: int = 7
    threads: int = 2
    model: UpliftConfig = field(default_factory=UpliftConfig)


def fit_learner(
    train: pd.DataFrame, base: pd.DataFrame, config: UpliftTrainConfig
) -> OfferUplift | PooledSaveRate | DRUplift:
    """The configured learner fitted on campaign rows (and, for "s" and "auto", the
    untargeted base); "auto" is `choose_learner`'s choice, with its `choice_`."""
    if config.model.learner not in LEARNERS:
        raise ValueError(f"learner: '{config.model.learner}' is not one of {LEARNERS}")
    kw = {"config": config.model, "seed": config.seed, "threads": config.threads}
    if config.model.learner == "auto":
        model, choice = choose_learner(train, base, **kw)
        model.choice_ = choice
        return model
    if config.model.learner == "s":
        return PooledSaveRate(**kw).fit(train, base)
    if config.model.learner == "dr":
        return DRUplift(**kw).fit(train)
    return OfferUplift(**kw).fit(train, train["offer_id"], train["treated"], train["churned"])


@dataclass(frozen=True)
class UpliftResult:
    run_id: str
    version: str
    champion: bool
    table: pd.DataFrame


def split_by_campaign(
    frame: pd.DataFrame, test_campaigns: int
) -> tuple[pd.DataFrame, pd.DataFrame]:
    days = sorted(frame["sent_day"].unique())
    if len(days) <= test_campaigns:
        raise ValueError(
            f"campaigns: {len(days)} with covered labels; need more than "
            f"test_campaigns={test_campaigns}"
        )
    cut = days[-test_campaigns]
    return frame[frame["sent_day"] < cut], frame[frame["sent_day"] >= cut]


def train_uplift(raw: Path, config: UpliftTrainConfig, settings: Settings) -> UpliftResult:
    """Fit on earlier campaigns, evaluate on the latest ones, log and register; the alias
    moves only when `beats_random`."""
    frame, base = campaign_history(raw)
    train, test = split_by_campaign(frame, config.test_campaigns)
    model = fit_learner(train, base[base["sent_day"] < test["sent_day"].min()], config)
    table = evaluate(test, model.predict(test), config.seed)
    ok = beats_random(table)
    exp = tracking.experiment_id(settings)
    client = MlflowClient(settings.tracking_uri)
    with mlflow.start_run(experiment_id=exp, run_name="train-uplift") as run:
        mlflow.log_params(
            {f"uplift.{k}": v for k, v in asdict(config.model).items()}
            | {
                "test_campaigns": config.test_campaigns,
                "seed": config.seed,
                "train_rows": len(train),
                "test_rows": len(test),
                "feature_schema_version": feature_schema_version(),
            }
        )
        for offer, row in table.iterrows():
            key = "pooled" if offer == POOLED else offer
            mlflow.log_metrics({f"test_uplift_{key}_{k}": float(v) for k, v in row.items()})
        mlflow.log_metric("test_uplift_qini_pooled", float(table.loc[POOLED, "qini"]))
        choice: Choice | None = getattr(model, "choice_", None)
        if choice is not None:  # "auto": each candidate's out-of-fold Qini on the training rows
            mlflow.set_tag("uplift_learner_chosen", choice.learner)
            for name, t in choice.oof.items():
                mlflow.log_metric(f"oof_uplift_{name}_qini_pooled", float(t.loc[POOLED, "qini"]))
        if isinstance(model, PooledSaveRate):
            rate = model.save_rate_
            mlflow.log_metrics(
                {"save_rate": rate.estimate, "save_rate_se": rate.se, "save_rate_used": rate.used}
            )
        mlflow.log_text(table.to_csv(), "evaluation/uplift_test.csv")
        with tempfile.TemporaryDirectory() as tmp:
            model.model_.save(Path(tmp) / "uplift_model")
            mlflow.log_artifacts(str(Path(tmp) / "uplift_model"), "uplift_model")
        if not client.search_registered_models(f"name = '{settings.uplift_model}'"):
            client.create_registered_model(settings.uplift_model)
        mv = client.create_model_version(
            settings.uplift_model,
            f"{run.info.artifact_uri}/uplift_model",
            run.info.run_id,
            tags={
                SCHEMA_TAG: feature_schema_version(),
                RUN_ID_TAG: run.info.run_id,
                "learner": model.model_.spec.learner,
                "beats_random": str(ok),
            },
        )
        tracking.record_digests(settings.uplift_model, str(mv.version))
        if ok:
            tracking.set_alias(settings.uplift_model, settings.alias, str(mv.version))
    return UpliftResult(run.info.run_id, str(mv.version), ok, table)
