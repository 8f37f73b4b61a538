"""Shared fixtures: micro raw tables written by hand, and one tiny synthetic operator
trained once per session into a temporary MLflow sqlite store."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from features.contract.schema import TABLES
from features.contract.sources import write_table
from features.settings import Settings
from features.synthetic.generator import GeneratorConfig, generate_operator
from training.config import TrainConfig

TINY = GeneratorConfig(subscribers=1500, months=10, seed=11, block_size=1000)
TINY_TRAIN = TrainConfig(train_from=date(2025, 4, 1), test_as_of=date(2025, 8, 1))
TINY_SCORE_AS_OF = date(2025, 9, 1)


def required_binary(name: str, installed_by: str) -> str:
    """The path of a server binary a test starts. `make test` (and so CI) installs it
    first, so its absence fails the test, saying how to provide it."""
    binary = shutil.which(name)
    if binary is None:
        pytest.fail(f"{name} is not installed: run the tests with `make test` ({installed_by} "
                    f"installs it) or apt-get install {name}")  # fmt: skip
    return binary


def write_raw(root: Path, **tables: list[dict] | pd.DataFrame) -> Path:
    """Write micro raw tables; tables not given are written empty with the contract schema."""
    for name, table in TABLES.items():
        rows = tables.get(name, [])
        frame = rows if isinstance(rows, pd.DataFrame) else pd.DataFrame(rows, columns=table.names)
        for c in table.columns:
            if c.dtype in ("date", "timestamp"):
                frame[c.name] = pd.to_datetime(frame[c.name])
        write_table(frame, table, root / name / "part-00000.parquet")
    return root


@pytest.fixture(scope="session")
def tiny_raw(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("tiny") / "raw"
    generate_operator(TINY, root)
    return root


@pytest.fixture(scope="session")
def tiny_settings(tmp_path_factory) -> Settings:
    home = tmp_path_factory.mktemp("retain_home")
    return Settings.from_env({"RETAIN_HOME": str(home)})


@pytest.fixture(scope="session")
def tiny_trained(tiny_raw, tiny_settings):
    """The tiny operator trained and registered once: (settings, TrainResult).

    The tiny operator is small and noisy, so a model can miss its baseline by chance and be
    left without the `champion` alias. Serving tests need champions: the versions just
    trained are pinned explicitly, as an operator's logged override would (training's own
    alias rule is tested on the `beats_baseline` tag in tests/training).
    """
    from mlflow import MlflowClient

    from training.pipeline import train

    result = train(tiny_raw, TINY_TRAIN, tiny_settings)
    client = MlflowClient(tiny_settings.tracking_uri)
    for name, version in (
        (tiny_settings.churn_model, result.churn_version),
        (tiny_settings.value_model, result.value_version),
    ):
        client.set_registered_model_alias(name, tiny_settings.alias, version)
    return tiny_settings, result
