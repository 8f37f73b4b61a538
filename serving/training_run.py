"""What the training run of a loaded model version logged: its test metrics (for the batch
summary, beside the baselines) and its sample of training vectors (the drift reference)."""

from __future__ import annotations

import logging

import mlflow
import pandas as pd
from mlflow import MlflowClient
from mlflow.exceptions import MlflowException

from features.artefacts.tags import REFERENCE_ARTEFACT, RUN_ID_TAG, test_metric
from features.settings import Settings
from serving.registry import Models, PinnedModel

log = logging.getLogger(__name__)


def champion_metrics(settings: Settings, models: Models) -> dict[str, float]:
    """The test-snapshot metrics that training logged for the loaded model versions."""
    client = MlflowClient(settings.tracking_uri)

    def run_metrics(model: PinnedModel) -> dict[str, float]:
        mv = client.get_model_version(model.name, model.version)
        return client.get_run(mv.tags[RUN_ID_TAG]).data.metrics

    c, v = run_metrics(models.churn), run_metrics(models.value)
    return {
        "churn_auc": c[test_metric("churn", "model", "roc_auc")],
        "churn_auc_baseline": c[test_metric("churn", "baseline", "roc_auc")],
        "churn_lift": c[test_metric("churn", "model", "lift_top10")],
        "churn_lift_baseline": c[test_metric("churn", "baseline", "lift_top10")],
        "value_gini": v[test_metric("value", "model", "normalized_gini")],
        "value_gini_baseline": v[test_metric("value", "baseline", "normalized_gini")],
    }


def training_reference(settings: Settings, models: Models) -> pd.DataFrame | None:
    """The sample of training vectors the churn model's run logged (the drift reference), or
    None when the run logged none."""
    client = MlflowClient(settings.tracking_uri)
    run_id = client.get_model_version(models.churn.name, models.churn.version).tags.get(RUN_ID_TAG)
    if not run_id:
        return None
    try:
        path = mlflow.artifacts.download_artifacts(
            run_id=run_id,
            artifact_path=REFERENCE_ARTEFACT,
            tracking_uri=settings.tracking_uri,
        )
    except (MlflowException, OSError):
        log.info("run %s logged no training reference: reports carry no drift", run_id)
        return None
    return pd.read_parquet(path)
