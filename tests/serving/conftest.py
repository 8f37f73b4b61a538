"""Serving fixtures: the tiny operator's champions loaded once, its snapshot, and a real
Redis server on loopback when `redis-server` is installed (`.ci/run` installs it)."""

from __future__ import annotations

import socket
import subprocess
import time

import pytest

from features.snapshot import build_snapshot
from serving.registry import load_models
from tests.conftest import TINY_SCORE_AS_OF, required_binary
from tests.servers import free_port


@pytest.fixture(scope="session")
def tiny_models(tiny_trained, tmp_path_factory):
    """The champion churn and value models, without offers (whether or not another test has
    pinned an uplift model in the shared store)."""
    from dataclasses import replace

    settings, _ = tiny_trained
    models = load_models(settings, dest=tmp_path_factory.mktemp("models"))
    return replace(models, uplift=None, catalogue=None)


@pytest.fixture(scope="session")
def tiny_vectors(tiny_raw):
    return build_snapshot(tiny_raw, TINY_SCORE_AS_OF)


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory):
    binary = required_binary("redis-server", "make test")
    port = free_port()
    folder = tmp_path_factory.mktemp("redis")
    proc = subprocess.Popen(
        [
            binary,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(folder),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            if time.monotonic() > deadline:
                proc.kill()
                raise RuntimeError("redis-server did not start") from None
            time.sleep(0.05)
    yield f"redis://127.0.0.1:{port}/0"
    proc.terminate()
    proc.wait(timeout=10)


@pytest.fixture(scope="session")
def offer_models(tiny_raw, tiny_trained, tmp_path_factory):
    """The tiny champions with an uplift model pinned under the alias and the shipped offer
    catalogue: what a scoring run that plans offers loads."""
    from mlflow import MlflowClient

    from training.uplift.learners import UpliftConfig
    from training.uplift.pipeline import UpliftTrainConfig, train_uplift

    settings, _ = tiny_trained
    # The latest campaign held out, not two: from the 356 rows of the earlier ones the tiny
    # operator's save rate cannot be told from zero, and a model that plans nothing could
    # not show how offers flow through scoring.
    cfg = UpliftTrainConfig(
        model=UpliftConfig(rounds=30, baseline_rounds=30, min_data_in_leaf=20),
        threads=1,
        test_campaigns=1,
    )
    result = train_uplift(tiny_raw, cfg, settings)
    MlflowClient(settings.tracking_uri).set_registered_model_alias(
        settings.uplift_model, settings.alias, result.version
    )
    return load_models(settings, dest=tmp_path_factory.mktemp("offer_models"))
