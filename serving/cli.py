"""`retain score` and `retain serve`: the batch job and the HTTP server."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import MofNCompleteColumn, Progress, TimeRemainingColumn

from features.contract.clean import require_valid
from features.contract.schema import SchemaError
from features.settings import Settings
from serving.batch.chunks import (
    BatchConfig,
    materialise,
    parquet_chunks,
    score_parquet,
    write_snapshot,
)
from serving.batch.outputs import FolderBusy
from serving.config import ServingConfig
from serving.decision import DecisionPolicy
from serving.online_store import StoreError, open_store
from serving.registry import ModelLoadError, champion_metrics, load_models, training_reference
from serving.startup import start_up

app = typer.Typer()


def _fail(e: Exception) -> typer.Exit:
    typer.echo(f"error: {e}", err=True)
    return typer.Exit(2)


@app.command()
def score(
    as_of: Annotated[datetime, typer.Option(formats=["%Y-%m-%d"], help="Snapshot date T")],
    raw: Annotated[Path, typer.Option(help="Folder of raw tables")] = Path(".retain/data/raw"),
    vectors: Annotated[
        Path | None,
        typer.Option(help="Score this Parquet file of feature vectors instead of building them"),
    ] = None,
    out: Annotated[Path, typer.Option(help="Output folder")] = Path(".retain/data/scores"),
    chunk_rows: Annotated[int, typer.Option(min=1, help="Rows scored per chunk")] = 200_000,
    reasons: Annotated[bool, typer.Option(help="Top three reasons for every row")] = True,
    online_store: Annotated[
        str | None,
        typer.Option(help="Store to materialise the vectors into (default RETAIN_ONLINE_STORE)"),
    ] = None,
    materialise_store: Annotated[
        bool, typer.Option("--materialise/--no-materialise", help="Write the online store")
    ] = True,
    engine: Annotated[str, typer.Option(help="local, or spark (local[*] unless configured)")] = (
        "local"
    ),
    budget_vnd: Annotated[
        float, typer.Option(min=0, help="Campaign budget, VND (offer and contact costs)")
    ] = 50_000_000,
    control_share: Annotated[
        float, typer.Option(min=0, max=0.9, help="Share of the campaign held out as control")
    ] = 0.1,
    validate: Annotated[
        bool,
        typer.Option(
            "--validate/--no-validate",
            help="Check RAW against the data contract first (skipped for `retain clean` "
            "output, whose checks already ran)",
        ),
    ] = True,
) -> None:
    """Score every subscriber eligible at AS_OF with the champion models, in bounded-memory
    chunks; write scores, rejects, the reconciliation (rows in = scored + rejected) and the
    online store. Re-running gives the same outputs. Raw tables that fail validation are
    refused before anything is scored, as training refuses them."""
    if engine not in ("local", "spark"):
        raise _fail(ValueError(f"--engine: '{engine}' is not local or spark"))
    if vectors is None and validate:
        try:
            require_valid(raw)
        except SchemaError as e:  # RawDataError included
            raise _fail(e) from e
    settings = Settings.from_env()
    try:
        models = load_models(settings)
    except ModelLoadError as e:
        raise _fail(e) from e
    as_of_d = as_of.date()
    policy = DecisionPolicy(
        budget_vnd=budget_vnd, control_share=control_share, campaign_id=f"RET-{as_of:%Y%m%d}"
    )
    config = BatchConfig(
        chunk_rows=chunk_rows,
        reasons=reasons,
        policy=policy,
        reference=training_reference(settings, models),
    )
    if vectors is None:
        vectors = out / "vectors.parquet"
        rows = write_snapshot(raw, as_of_d, vectors)
        typer.echo(f"snapshot {as_of_d}: {rows:,} eligible subscribers -> {vectors}")
    if engine == "spark":
        from serving.batch.spark import score_parquet_spark

        result = score_parquet_spark(vectors, models, out, config)
    else:
        with Progress(
            *Progress.get_default_columns()[:-1],
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            transient=True,
        ) as bar:
            import pyarrow.parquet as pq

            task = bar.add_task("scoring", total=pq.ParquetFile(vectors).metadata.num_rows)
            try:
                result = score_parquet(
                    vectors, models, out, config, progress=lambda n: bar.advance(task, n)
                )
            except FolderBusy as e:
                raise _fail(e) from e
    store_uri = online_store or ServingConfig.from_env(settings).online_store
    if materialise_store and store_uri:
        try:
            current = open_store(store_uri).meta().as_of
        except StoreError:
            current = None
        if current is not None and current > as_of_d:
            typer.echo(f"online store {store_uri} holds a later snapshot ({current}); kept")
        else:
            materialise(
                parquet_chunks(vectors, chunk_rows),
                store_uri,
                as_of_d,
                models.feature_schema_version,
            )
            typer.echo(f"online store -> {store_uri}")
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
    c = result.campaign
    if c:
        typer.echo(
            f"  campaign {policy.campaign_id}: contact {c['contacted']:,} (+{c['control']:,} "
            f"control) for {c['cost_vnd']:,.0f} VND of {budget_vnd:,.0f}; expected net gain "
            f"{c['expected_gain_vnd']:,.0f} VND; offers {c['offers']}"
        )
    else:
        typer.echo("  campaign: no uplift model registered (retain train-uplift), no offers")
    typer.echo(
        f"  MLflow store: {settings.tracking_uri}  (mlflow ui --backend-store-uri "
        f"{settings.tracking_uri})"
    )
    typer.echo("  HTTP server: retain serve --port 3000")
    typer.echo(
        f"scores -> {result.scores_path}; rejects -> {result.rejects_path}; report -> "
        f"{result.scores_path.parent / 'report.html'}"
        + (f"; campaign -> {result.scores_path.parent / 'campaign.csv'}" if c else "")
    )


@app.command()
def serve(
    port: Annotated[int, typer.Option(help="TCP port")] = 3000,
    host: Annotated[str, typer.Option(help="Interface to bind")] = "127.0.0.1",
) -> None:
    """Start the BentoML HTTP server (POST /predict) on the champion models and the online
    store; refuses to start, saying why, when either is missing or they disagree."""
    settings = Settings.from_env()
    try:
        start_up(settings, ServingConfig.from_env(settings))  # refuse before starting workers
    except (ModelLoadError, StoreError) as e:
        raise _fail(e) from e
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
