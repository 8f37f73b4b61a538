"""MLflow edge: runs, metrics, native LightGBM models, registry versions and aliases."""

from __future__ import annotations

import logging

import lightgbm as lgb
import mlflow
import mlflow.lightgbm
import pandas as pd
from mlflow import MlflowClient
from mlflow.models import infer_signature

from features.definitions import FEATURE_NAMES, feature_schema_version
from features.settings import Settings

log = logging.getLogger(__name__)


def experiment_id(settings: Settings) -> str:
    """Point MLflow at the configured store and return the experiment's id, creating it
    (with artefacts beside a local sqlite store) when it does not exist."""
    mlflow.set_tracking_uri(settings.tracking_uri)
    exp = mlflow.get_experiment_by_name(settings.experiment)
    if exp is not None:
        return exp.experiment_id
    location = None
    if settings.tracking_uri.startswith("sqlite:"):
        settings.artifact_root.mkdir(parents=True, exist_ok=True)
        location = settings.artifact_root.as_uri()
    return mlflow.create_experiment(settings.experiment, artifact_location=location)


def log_booster(
    booster: lgb.Booster,
    name: str,
    example: pd.DataFrame,
    output: pd.Series,
    registered_name: str,
    tags: dict[str, str],
) -> str:
    """Log a Booster in LightGBM's native format inside the active run, register it, tag the
    version with the feature schema version; return the new version number."""
    example = example[list(FEATURE_NAMES)].head(5)
    signature = infer_signature(example, output.head(5))
    info = mlflow.lightgbm.log_model(
        booster,
        name=name,
        signature=signature,
        metadata={"feature_schema_version": feature_schema_version()},
    )
    version = mlflow.register_model(info.model_uri, registered_name)
    client = MlflowClient()
    for k, v in ({"feature_schema_version": feature_schema_version()} | tags).items():
        client.set_model_version_tag(registered_name, version.version, k, str(v))
    mlflow.log_text(
        example.to_json(orient="records", date_format="iso"), f"{name}/input_example.json"
    )
    return str(version.version)


def set_alias(registered_name: str, alias: str, version: str) -> None:
    MlflowClient().set_registered_model_alias(registered_name, alias, version)
    log.info("%s@%s -> version %s", registered_name, alias, version)
