"""`retain train-uplift`: learn offer uplift from past campaigns."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Annotated

import typer

from features.settings import Settings
from training.uplift import UpliftConfig
from training.uplift_pipeline import UpliftTrainConfig, train_uplift

app = typer.Typer()


@app.command("train-uplift")
def train_uplift_command(
    raw: Annotated[Path, typer.Option(help="Folder of raw tables")] = Path(".retain/data/raw"),
    learner: Annotated[str, typer.Option(help="Meta-learner: t or x")] = "x",
    test_campaigns: Annotated[int, typer.Option(min=1, help="Latest campaigns held out")] = 2,
) -> None:
    """Learn each offer's effect on churn from past campaigns with randomised control groups;
    evaluate on the latest campaigns (Qini, AUUC, beside a random ranking); register."""
    if learner not in ("t", "x"):
        raise typer.BadParameter(f"learner: '{learner}' is not 't' or 'x'")
    cfg = UpliftTrainConfig(
        test_campaigns=test_campaigns, model=replace(UpliftConfig(), learner=learner)
    )
    settings = Settings.from_env()
    result = train_uplift(raw, cfg, settings)
    typer.echo("\nUplift on the latest campaigns (model vs random ranking):")
    typer.echo(result.table.round(4).to_string())
    state = (
        f"-> @{settings.alias}" if result.champion else "(no better than random; alias unchanged)"
    )
    typer.echo(f"registered {settings.uplift_model} version {result.version} {state}")
