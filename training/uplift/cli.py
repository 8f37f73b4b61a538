"""`retain train-uplift`: learn offer uplift from past campaigns (the raw tables' campaigns,
or a campaign table the user brings with `--table`)."""

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
        str,
        typer.Option(
            help="auto (s or dr, whichever ranks the training campaigns better out of fold), "
            "s (pooled save-rate), dr (DR-learner), t or x"
        ),
    ] = "auto",
    test_campaigns: Annotated[int, typer.Option(min=1, help="Latest campaigns held out")] = 2,
    table: Annotated[
        Path | None,
        typer.Option(
            help="A campaign table (CSV or Parquet), one row per customer, instead of --raw"
        ),
    ] = None,
    treatment: Annotated[str, typer.Option(help="--table: the arm column")] = "arm",
    control: Annotated[str, typer.Option(help="--table: the arm value of the control")] = "control",
    outcome: Annotated[
        str, typer.Option(help="--table: the outcome column (0/1, or an amount such as revenue)")
    ] = "outcome",
    cost: Annotated[
        str | None, typer.Option(help="--table: the column of a treated row's cost")
    ] = None,
    id_column: Annotated[
        str | None, typer.Option(help="--table: an id column (not a feature)")
    ] = None,
    ignore: Annotated[
        list[str] | None, typer.Option(help="--table: a column that is not a feature (repeat)")
    ] = None,
    churn_outcome: Annotated[
        bool, typer.Option(help="--table: the outcome is churn (1 = left): uplift is its reduction")
    ] = False,
    folds: Annotated[int, typer.Option(min=2, help="--table: cross-fitting folds")] = 5,
    outcome_model: Annotated[
        str,
        typer.Option(
            help="--table, an amount outcome: auto (tweedie unless mean or hurdle ranks the "
            "table clearly better out of fold), tweedie, hurdle (P(> 0) x E[amount | > 0]) "
            "or mean (squared error)"
        ),
    ] = "auto",
    seed: Annotated[int, typer.Option(help="--table: seed of folds and boosters")] = 7,
) -> None:
    """Learn each offer's effect from past campaigns with randomised control groups and
    register it; the alias moves only when it ranks better than random (Qini). From raw
    tables: the effect on churn, evaluated on the latest campaigns. From --table: the effect
    on the table's outcome, features as in train-table, evaluated out of fold."""
    settings = Settings.from_env()
    if table is not None:
        from training.uplift.table import CampaignTableSpec, TableUpliftConfig
        from training.uplift.table_run import train_uplift_table

        spec = CampaignTableSpec(
            treatment=treatment,
            outcome=outcome,
            control=control,
            cost=cost,
            id_column=id_column,
            ignore=tuple(ignore or ()),
            churn_outcome=churn_outcome,
        )
        try:
            result = train_uplift_table(
                table,
                spec,
                TableUpliftConfig(folds=folds, seed=seed, outcome_model=outcome_model),
                settings,
            )
        except (ValueError, FileNotFoundError) as e:
            raise typer.BadParameter(str(e)[:500]) from None
        where = "out of fold"
    else:
        if learner not in LEARNERS:
            raise typer.BadParameter(f"learner: '{learner}' is not one of {', '.join(LEARNERS)}")
        cfg = UpliftTrainConfig(
            test_campaigns=test_campaigns, model=replace(UpliftConfig(), learner=learner)
        )
        result = train_uplift(raw, cfg, settings)
        where = "on the latest campaigns"
    typer.echo(f"\nUplift {where} (model vs the mean of random rankings):")
    typer.echo(result.table.round(4).to_string())
    state = (
        f"-> @{settings.alias}" if result.champion else "(no better than random; alias unchanged)"
    )
    typer.echo(f"registered {settings.uplift_model} version {result.version} {state}")
