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

from features.settings import Settings
from serving.batch.job import JobError, ScoreJob
from serving.batch.job import run as run_job
from serving.batch.summary import summary
from serving.config import ServingConfig
from serving.online_store import StoreError
from serving.registry import ModelLoadError, resolve_versions
from serving.startup import pin_models, pins_path, start_up

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
    table: Annotated[
        Path | None,
        typer.Option(help="Score this prepared table (CSV/Parquet) with the train-table model"),
    ] = None,
    out: Annotated[Path, typer.Option(help="Output folder")] = Path(".retain/data/scores"),
    chunk_rows: Annotated[int, typer.Option(min=1, help="Rows scored per chunk")] = 200_000,
    reasons: Annotated[
        bool,
        typer.Option(
            help="Top three reasons for every scored row (default: for the campaign list's rows "
            "only; a reason costs about 80 predictions, and the HTTP service answers any "
            "subscriber's on request)"
        ),
    ] = False,
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
    allow_future: Annotated[
        bool, typer.Option(help="Allow an AS_OF after the data's end (refused otherwise)")
    ] = False,
    playbook: Annotated[
        Path | None,
        typer.Option(
            help="Exploration playbook (TOML: tier x relationship state -> offers) used when no "
            "uplift model is registered; default: the one shipped with Retain"
        ),
    ] = None,
    validate: Annotated[
        bool,
        typer.Option(
            "--validate/--no-validate",
            help="Check RAW against the data contract first (skipped for `retain clean` "
            "output, whose checks already ran)",
        ),
    ] = True,
    eligibility_days: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="Score subscribers active in this many days before AS_OF "
            "[default: the models' training configuration]",
        ),
    ] = None,
    lookback_days: Annotated[
        int | None,
        typer.Option(min=90, help="History read before AS_OF [default: as the models']"),
    ] = None,
    lang: Annotated[
        str | None,
        typer.Option(
            help="Language of the reasons, report and summary: en or vi (default RETAIN_LANG, "
            "else en)"
        ),
    ] = None,
) -> None:
    """Score every subscriber eligible at AS_OF with the champion models, in bounded-memory
    chunks; write scores, rejects, the reconciliation (rows in = scored + rejected) and the
    online store. Re-running gives the same outputs. Raw tables that fail validation are
    refused before anything is scored, as training refuses them."""
    if table is not None:
        from serving.batch.table import score_table

        try:
            done = score_table(table, out, as_of.date(), Settings.from_env())
        except JobError as e:
            raise _fail(e) from e
        typer.echo(
            f"rows in {done.rows_in:,} = scored {done.rows_scored:,} + rejected "
            f"{done.rows_rejected:,} ({done.model})"
        )
        typer.echo(f"scores -> {out / 'scores.parquet'}; rejects -> {out / 'rejects.parquet'}")
        return
    try:
        job = ScoreJob(
            as_of=as_of.date(),
            raw=raw,
            out=out,
            vectors=vectors,
            chunk_rows=chunk_rows,
            reasons=reasons,
            online_store=online_store,
            materialise=materialise_store,
            engine=engine,
            budget_vnd=budget_vnd,
            control_share=control_share,
            validate=validate,
            allow_future=allow_future,
            eligibility_days=eligibility_days,
            lookback_days=lookback_days,
            playbook=playbook,
            language=lang,
        )
        with Progress(
            *Progress.get_default_columns()[:-1],
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            transient=True,
        ) as bar:
            task = bar.add_task("scoring", total=None)
            done = run_job(
                job,
                Settings.from_env(),
                progress=lambda n, total: bar.update(task, completed=n, total=total),
            )
    except JobError as e:
        raise _fail(e) from e
    except OSError as e:  # a read-only or full output folder, a file gone mid-run
        raise _fail(f"{e.strerror or e}: {e.filename or out}" if e.strerror else e) from e
    for line in done.notes + summary(done):
        typer.echo(line)


@app.command()
def serve(
    port: Annotated[int, typer.Option(min=1, max=65535, help="TCP port")] = 3000,
    host: Annotated[str, typer.Option(help="Interface to bind")] = "127.0.0.1",
) -> None:
    """Start the BentoML HTTP server (POST /predict) on the champion models and the online
    store; refuses to start, saying why, when either is missing or they disagree."""
    settings = Settings.from_env()
    try:
        versions = resolve_versions(settings)  # the set every worker will load
        start_up(settings, ServingConfig.from_env(settings), versions=versions)  # refuse now
        pin_models(settings, new_server=True, versions=versions)
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


@app.command()
def reload() -> None:
    """Resolve the model aliases again and pin the versions found for the running server:
    each worker loads the new set beside the old one and swaps it in whole before its next
    answer (a store re-materialised by `retain score` is picked up without it)."""
    settings = Settings.from_env()
    try:
        versions = pin_models(settings)
    except ModelLoadError as e:
        raise _fail(e) from e
    shown = ", ".join(f"{k} {v}" for k, v in versions.items() if v is not None)
    typer.echo(f"pinned {shown} -> {pins_path(settings)}; workers reload before their next answer")
