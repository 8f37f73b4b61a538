"""Train, evaluate and register the offer-uplift model."""

from __future__ import annotations

import logging
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

import mlflow
import numpy as np
import pandas as pd
from mlflow import MlflowClient

from features.definitions import feature_schema_version
from features.settings import Settings
from training import tracking
from training.uplift import OfferUplift, UpliftConfig
from training.uplift_data import campaign_set
from training.uplift_metrics import auuc, qini_coefficient

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class UpliftTrainConfig:
    test_campaigns: int = 2  # the latest campaigns with covered labels evaluate
    seed: int = 7
    threads: int = 2
    model: UpliftConfig = field(default_factory=UpliftConfig)


def evaluate(frame: pd.DataFrame, predicted: pd.DataFrame, seed: int) -> pd.DataFrame:
    """Qini and AUUC per offer on `frame` (later campaigns), beside a random ranking.
    Each offer's rows are its treated subscribers and every control."""
    rng = np.random.default_rng(seed)
    rows = {}
    for offer in predicted.columns:
        m = ((frame["offer_id"] == offer) & frame["treated"] | ~frame["treated"]).to_numpy()
        retained = 1.0 - frame["churned"].to_numpy()[m]
        t = frame["treated"].to_numpy()[m]
        score = predicted[offer].to_numpy()[m]
        noise = rng.random(m.sum())
        rows[offer] = {
            "rows": int(m.sum()),
            "qini": qini_coefficient(retained, t, score),
            "qini_random": qini_coefficient(retained, t, noise),
            "auuc": auuc(retained, t, score),
            "auuc_random": auuc(retained, t, noise),
            "observed_uplift": float(retained[t].mean() - retained[~t].mean()),
        }
    return pd.DataFrame(rows).T


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
    moves only when the mean Qini over offers is positive and above the random ranking."""
    frame = campaign_set(raw)
    train, test = split_by_campaign(frame, config.test_campaigns)
    model = OfferUplift(config=config.model, seed=config.seed, threads=config.threads).fit(
        train, train["offer_id"], train["treated"], train["churned"]
    )
    table = evaluate(test, model.predict(test), config.seed)
    ok = bool(table["qini"].mean() > max(0.0, table["qini_random"].mean()))
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
            mlflow.log_metrics({f"test_uplift_{offer}_{k}": float(v) for k, v in row.items()})
        mlflow.log_metric("test_uplift_qini_mean", float(table["qini"].mean()))
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
                "feature_schema_version": feature_schema_version(),
                "run_id": run.info.run_id,
                "learner": config.model.learner,
                "beats_random": str(ok),
            },
        )
        if ok:
            tracking.set_alias(settings.uplift_model, settings.alias, str(mv.version))
    return UpliftResult(run.info.run_id, str(mv.version), ok, table)
