"""`retain train-uplift`: learn offer uplift from past campaigns."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Annotated

import typer

from features.settings import Settings
from training.uplift.learners import LEARNERS, UpliftConfig
from training.uplift.pipeline import UpliftTrainConfig, train_uplift

app = typer.Typer()


@app.command("train-uplift")
def train_uplift_command(
    raw: Annotated[Path, typer.Option(help="Folder of raw tables")] = Path(".retain/data/raw"),
    learner: Annotated[
        str, typer.Option(help="s (pooled save-rate, all offers and campaigns), t or x")
    ] = "s",
    test_campaigns: Annotated[int, typer.Option(min=1, help="Latest campaigns held out")] = 2,
) -> None:
    """Learn each offer's effect on churn from past campaigns with randomised control groups;
    evaluate on the latest campaigns (Qini, AUUC, beside a random ranking); register."""
    if learner not in LEARNERS:
        raise typer.BadParameter(f"learner: '{learner}' is not one of {', '.join(LEARNERS)}")
    cfg = UpliftTrainConfig(
        test_campaigns=test_campaigns, model=replace(UpliftConfig(), learner=learner)
    )
    settings = Settings.from_env()
    result = train_uplift(raw, cfg, settings)
    typer.echo("\nUplift on the latest campaigns (model vs the mean of random rankings):")
    typer.echo(result.table.round(4).to_string())
    state = (
        f"-> @{settings.alias}" if result.champion else "(no better than random; alias unchanged)"
    )
    typer.echo(f"registered {settings.uplift_model} version {result.version} {state}")
