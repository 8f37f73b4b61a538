"""`retain train`: the retraining job's command line."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer

from features.settings import Settings
from training.config import TrainConfig
from training.pipeline import train as run_training

app = typer.Typer()


@app.command()
def train(
    raw: Annotated[Path, typer.Option(help="Folder of raw tables")] = Path(".retain/data/raw"),
    config: Annotated[Path | None, typer.Option(help="TOML experiment config")] = None,
    train_from: Annotated[
        datetime | None, typer.Option(formats=["%Y-%m-%d"], help="First monthly cutoff")
    ] = None,
    test_as_of: Annotated[
        datetime | None,
        typer.Option(formats=["%Y-%m-%d"], help="Test cutoff; the month before validates"),
    ] = None,
) -> None:
    """Build monthly snapshots, fit churn and value models, evaluate them against their
    baselines on the test cutoff, log to MLflow and register; `champion` moves only to a
    model that beats its baseline."""
    cfg = TrainConfig.from_toml(config) if config else TrainConfig()
    if train_from:
        cfg = replace(cfg, train_from=train_from.date())
    if test_as_of:
        cfg = replace(cfg, test_as_of=test_as_of.date())
    settings = Settings.from_env()
    result = run_training(raw, cfg, settings)
    typer.echo(f"\nChurn on the test snapshot {cfg.test_as_of} (model vs recency baseline):")
    typer.echo(result.churn_test.round(4).to_string())
    typer.echo(f"\nValue over {cfg.snapshot.value_horizon_days} days (model vs trailing revenue):")
    typer.echo(result.value_test.round(4).to_string())
    for kind, version, ok in (
        ("churn", result.churn_version, result.churn_champion),
        ("value", result.value_version, result.value_champion),
    ):
        name = settings.churn_model if kind == "churn" else settings.value_model
        state = f"-> @{settings.alias}" if ok else "(did not beat its baseline; alias unchanged)"
        typer.echo(f"registered {name} version {version} {state}")
    typer.echo(f"MLflow run {result.run_id} in {settings.tracking_uri}")
