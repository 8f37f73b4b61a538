"""Models are pinned at load time, and refused with a message that says what to do."""

from dataclasses import replace

import pytest
from mlflow import MlflowClient

from serving.registry import ModelLoadError, load_models


def test_loads_champions_with_versions(tiny_trained, tmp_path):
    settings, result = tiny_trained
    models = load_models(settings, dest=tmp_path)
    assert models.churn.version == result.churn_version
    assert models.churn.ref == f"retain-churn/{result.churn_version}"
    assert models.churn.booster.num_trees() > 0


def test_missing_alias_is_refused(tiny_trained):
    settings, _ = tiny_trained
    with pytest.raises(ModelLoadError, match=r"retain-churn@nonexistent not found.*retain train"):
        load_models(replace(settings, alias="nonexistent"))


def test_feature_schema_mismatch_is_refused(tiny_trained):
    settings, result = tiny_trained
    client = MlflowClient(settings.tracking_uri)
    mv = client.get_model_version(settings.churn_model, result.churn_version)
    stale = client.create_model_version(
        settings.churn_model, mv.source, tags={"feature_schema_version": "fs-000000000000"}
    )
    client.set_registered_model_alias(settings.churn_model, "stale", stale.version)
    with pytest.raises(ModelLoadError, match=r"trained on feature schema fs-000000000000.*retrain"):
        load_models(replace(settings, alias="stale"))


def test_unreachable_store_is_refused(tiny_trained, monkeypatch):
    settings, _ = tiny_trained
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_TIMEOUT", "2")
    with pytest.raises(ModelLoadError, match=r"unreachable.*MLFLOW_TRACKING_URI"):
        load_models(replace(settings, tracking_uri="http://127.0.0.1:9"))


def test_training_logs_the_drift_reference(tiny_trained, tmp_path):
    from features.definitions import FEATURE_NAMES
    from serving.training_run import training_reference

    settings, _ = tiny_trained
    reference = training_reference(settings, load_models(settings, dest=tmp_path))
    assert reference is not None and list(reference.columns) == list(FEATURE_NAMES)
    assert 0 < len(reference) <= 20_000
