"""`retain drift`: compare two snapshots (or scores) and alert on a breach."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer

from features.definitions import FEATURE_NAMES
from features.drift import DriftThresholds, drift_table

app = typer.Typer()
log = logging.getLogger(__name__)
SCORE_COLUMNS = ("churn_probability", "predicted_value_vnd")


@app.command()
def drift(
    reference: Annotated[
        Path, typer.Option(help="Reference Parquet (training snapshot, last month)")
    ],
    current: Annotated[Path, typer.Option(help="Current Parquet (snapshot or scores)")],
    warn: Annotated[float, typer.Option(min=0, help="PSI above which a column is flagged")] = 0.1,
    breach: Annotated[float, typer.Option(min=0, help="PSI above which the command fails")] = 0.25,
    out: Annotated[Path | None, typer.Option(help="CSV of the drift table")] = None,
    log_mlflow: Annotated[bool, typer.Option(help="Log the table and PSIs to MLflow")] = False,
) -> None:
    """Population stability index per feature and score; exits 1 when any column breaches,
    so a scheduler can alert."""
    if breach < warn:
        raise typer.BadParameter(f"breach ({breach}) must not be below warn ({warn})")
    ref, cur = pd.read_parquet(reference), pd.read_parquet(current)
    columns = [c for c in (*FEATURE_NAMES, *SCORE_COLUMNS) if c in ref.columns and c in cur.columns]
    if not columns:
        raise typer.BadParameter("reference and current share no feature or score column")
    table = drift_table(ref, cur, columns, DriftThresholds(warn, breach))
    if out:
        out.parent.mkdir(parents=True, exist_ok=True)
        table.to_csv(out, index=False)
    if log_mlflow:
        import mlflow

        from features.settings import Settings

        settings = Settings.from_env()
        mlflow.set_tracking_uri(settings.tracking_uri)
        mlflow.set_experiment(settings.experiment)
        with mlflow.start_run(run_name="drift"):
            mlflow.log_params(
                {
                    "reference": str(reference),
                    "current": str(current),
                    "warn": warn,
                    "breach": breach,
                }
            )
            mlflow.log_metrics({f"psi_{r.column}": r.psi for r in table.itertuples()})
            mlflow.log_text(table.to_csv(index=False), "drift/drift_table.csv")
    flagged = table[table.status != "ok"]
    typer.echo(
        f"{len(table)} columns compared; {int((table.status == 'warn').sum())} warn, "
        f"{int((table.status == 'breach').sum())} breach"
    )
    if len(flagged):
        typer.echo(flagged.round(4).to_string(index=False))
    if (table.status == "breach").any():
        raise typer.Exit(1)
