"""`retain score` and `retain serve`: the batch job and the HTTP server."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import Progress

from features.settings import Settings
from features.snapshot import build_snapshot
from serving.batch import score_frame
from serving.registry import ModelLoadError, champion_metrics, load_models

app = typer.Typer()


@app.command()
def score(
    as_of: Annotated[datetime, typer.Option(formats=["%Y-%m-%d"], help="Snapshot date T")],
    raw: Annotated[Path, typer.Option(help="Folder of raw tables")] = Path(".retain/data/raw"),
    out: Annotated[Path, typer.Option(help="Output folder")] = Path(".retain/data/scores"),
    chunk_rows: Annotated[int, typer.Option(min=1, help="Rows scored per chunk")] = 200_000,
) -> None:
    """Score every subscriber eligible at AS_OF with the champion models; write scores,
    rejects and the reconciliation (rows in = scored + rejected)."""
    settings = Settings.from_env()
    try:
        models = load_models(settings)
    except ModelLoadError as e:
        typer.echo(f"error: {e}", err=True)
        raise typer.Exit(2) from e
    vectors = build_snapshot(raw, as_of.date())
    with Progress(transient=True) as bar:
        task = bar.add_task("scoring", total=len(vectors))
        result = score_frame(
            vectors, models, out, chunk_rows=chunk_rows, progress=lambda n: bar.advance(task, n)
        )
    m = champion_metrics(settings, models)
    typer.echo("")
    typer.echo(f"Retain summary, scores as of {as_of:%Y-%m-%d}")
    typer.echo(
        f"  churn model {models.churn.ref}: test ROC-AUC {m['churn_auc']:.3f} vs "
        f"recency baseline {m['churn_auc_baseline']:.3f}; top-decile lift "
        f"{m['churn_lift']:.2f} vs {m['churn_lift_baseline']:.2f}"
    )
    typer.echo(
        f"  value model {models.value.ref}: test normalized Gini {m['value_gini']:.3f} vs "
        f"trailing-revenue baseline {m['value_gini_baseline']:.3f}"
    )
    typer.echo(
        f"  rows in {result.rows_in:,} = scored {result.rows_scored:,} + "
        f"rejected {result.rows_rejected:,}"
    )
    typer.echo(
        f"  top 20% of subscribers bring {result.revenue_top20_share:.0%} of the last "
        f"90 days' revenue ({result.predicted_value_top20_share:.0%} of predicted value)"
    )
    typer.echo(f"  value tiers: {result.tier_counts}")
    typer.echo(
        f"  MLflow store: {settings.tracking_uri}  (mlflow ui --backend-store-uri "
        f"{settings.tracking_uri})"
    )
    typer.echo("  HTTP server: retain serve --port 3000")
    typer.echo(f"scores -> {result.scores_path}; rejects -> {result.rejects_path}")


@app.command()
def serve(
    port: Annotated[int, typer.Option(help="TCP port")] = 3000,
    host: Annotated[str, typer.Option(help="Interface to bind")] = "127.0.0.1",
) -> None:
    """Start the BentoML HTTP server (POST /predict) on the champion models."""
    settings = Settings.from_env()
    try:
        load_models(settings)  # refuse here, with the reason, before starting workers
    except ModelLoadError as e:
        typer.echo(f"error: {e}", err=True)
        raise typer.Exit(2) from e
    cmd = [
        sys.executable,
        "-m",
        "bentoml",
        "serve",
        "serving.service:RetentionService",
        "--host",
        host,
        "--port",
        str(port),
    ]
    raise typer.Exit(subprocess.call(cmd, env=os.environ.copy()))
