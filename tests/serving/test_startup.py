"""Start-up refuses, with what to do, on a missing alias, a schema mismatch with the online
store, or an unreachable store; `retain serve` exits before starting any worker."""

from dataclasses import replace

import pytest
from typer.testing import CliRunner

from serving.cli import app
from serving.config import ServingConfig
from serving.online_store import StoreError, materialise
from serving.registry import ModelLoadError
from serving.startup import start_up
from tests.conftest import TINY_SCORE_AS_OF


@pytest.fixture(scope="module")
def store_uri(tiny_trained, tiny_vectors, tiny_models, tmp_path_factory):
    uri = f"sqlite:///{tmp_path_factory.mktemp('online') / 'features.sqlite'}"
    materialise(iter([tiny_vectors]), uri, TINY_SCORE_AS_OF, tiny_models.feature_schema_version)
    return uri


def test_starts_with_models_and_matching_store(tiny_trained, store_uri, tmp_path):
    settings, result = tiny_trained
    runtime = start_up(settings, ServingConfig(online_store=store_uri), dest=tmp_path)
    assert runtime.models.churn.version == result.churn_version
    assert runtime.store.meta().as_of == TINY_SCORE_AS_OF


def test_missing_alias_fails(tiny_trained, store_uri):
    settings, _ = tiny_trained
    with pytest.raises(ModelLoadError, match=r"@nowhere not found.*retain train"):
        start_up(replace(settings, alias="nowhere"), ServingConfig(online_store=store_uri))


def test_store_of_another_schema_fails(tiny_trained, tiny_vectors, tmp_path):
    settings, _ = tiny_trained
    uri = f"sqlite:///{tmp_path / 'old.sqlite'}"
    materialise(iter([tiny_vectors]), uri, TINY_SCORE_AS_OF, "fs-000000000000")
    with pytest.raises(StoreError, match=r"schema fs-000000000000.*run `retain score`"):
        start_up(settings, ServingConfig(online_store=uri))


def test_unreachable_store_fails(tiny_trained):
    settings, _ = tiny_trained
    with pytest.raises(StoreError, match="unreachable; start Redis|is unreachable"):
        start_up(settings, ServingConfig(online_store="redis://127.0.0.1:9/0"))


def test_serve_command_refuses_before_starting(tiny_trained, tmp_path, monkeypatch):
    settings, _ = tiny_trained
    monkeypatch.setenv("RETAIN_HOME", str(settings.home))
    monkeypatch.setenv("MLFLOW_TRACKING_URI", settings.tracking_uri)
    monkeypatch.setenv("RETAIN_ONLINE_STORE", f"sqlite:///{tmp_path / 'missing.sqlite'}")
    r = CliRunner().invoke(app, ["serve", "--port", "1"])
    assert r.exit_code == 2
    assert "does not exist; run `retain score` to materialise it" in r.output


def test_unreachable_mlflow_store_refuses_to_serve(tmp_path, monkeypatch):
    """No server listens on the store's port: `retain serve` says so and starts no worker."""
    monkeypatch.setenv("RETAIN_HOME", str(tmp_path))
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://127.0.0.1:9")
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_TIMEOUT", "2")
    r = CliRunner().invoke(app, ["serve", "--port", "1"])
    assert r.exit_code == 2
    assert "MLflow store http://127.0.0.1:9 is unreachable" in r.output
