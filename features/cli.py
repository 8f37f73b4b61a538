"""The `retain` command. Each package contributes its commands through the
`retain.commands` entry point group, so dependencies keep pointing one way."""

from __future__ import annotations

import logging
from datetime import datetime
from enum import Enum
from importlib.metadata import entry_points
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer

from features.catalog import write_catalog
from features.contract.cli import app as contract_app
from features.definitions import FEATURE_NAMES
from features.drift import DriftThresholds, drift_table
from features.snapshot import SnapshotConfig, build_snapshot, write_snapshot
from features.synthetic.campaigns import EFFECTS
from features.synthetic.generator import GeneratorConfig, generate_operator

app = typer.Typer(help="Raw data: generate a synthetic operator, validate, build snapshots.")
app.registered_commands.extend(contract_app.registered_commands)
log = logging.getLogger(__name__)
SCORE_COLUMNS = ("churn_probability", "predicted_value_vnd")
EffectScenario = Enum("EffectScenario", {name: name for name in EFFECTS}, type=str)  # --effect


@app.command()
def generate(
    out: Annotated[Path, typer.Option(help="Folder for the raw tables")] = Path(".retain/data/raw"),
    subscribers: Annotated[int, typer.Option(min=1, help="Subscribers in the base")] = 20_000,
    months: Annotated[int, typer.Option(min=4, help="Months of history")] = 12,
    start: Annotated[
        datetime, typer.Option(formats=["%Y-%m-%d"], help="First day (the first of a month)")
    ] = datetime(2025, 1, 1),
    seed: Annotated[int, typer.Option(help="Random seed; same seed, same bytes")] = 42,
    block_size: Annotated[
        int, typer.Option(min=1, help="Subscribers simulated at once (bounds memory)")
    ] = 25_000,
    truth: Annotated[
        Path | None, typer.Option(help="Folder for the truth tables [default: OUT/../truth]")
    ] = None,
    effect: Annotated[
        EffectScenario,
        typer.Option(
            help="What offers can do in the past campaigns: none (nothing), default, or "
            "strong (a larger persuadable share and save rate)"
        ),
    ] = EffectScenario.default,
    survival_truth: Annotated[
        bool,
        typer.Option(
            help="Write the truth's survival curves (most of the generation time; only "
            "bench.survival reads them)"
        ),
    ] = True,
    workers: Annotated[
        int, typer.Option(min=1, help="Blocks simulated at once in child processes (same bytes)")
    ] = 1,
) -> None:
    """Simulate a mobile operator: the raw tables as Parquet, and its truth kept apart."""
    try:
        cfg = GeneratorConfig(
            subscribers=subscribers,
            months=months,
            start=start.date(),
            seed=seed,
            block_size=block_size,
            effect=effect.value,
            survival_truth=survival_truth,
        )
    except ValueError as e:
        raise typer.BadParameter(str(e)) from e
    with typer.progressbar(length=subscribers, label="simulating") as bar:
        manifest = generate_operator(
            cfg,
            out,
            truth=truth,
            progress=lambda done, total: bar.update(done - bar.pos),
            workers=workers,
        )
    typer.echo(
        f"generated {subscribers:,} subscribers, {manifest['data_start']} to "
        f"{manifest['data_end']} (exclusive) -> {out}; truth -> {out / manifest['truth']}"
    )


@app.command()
def snapshot(
    as_of: Annotated[datetime, typer.Option(formats=["%Y-%m-%d"], help="Snapshot date T")],
    raw: Annotated[Path, typer.Option(help="Folder of raw tables")] = Path(".retain/data/raw"),
    out: Annotated[Path | None, typer.Option(help="Parquet file to write")] = None,
    labels: Annotated[bool, typer.Option(help="Attach churn and value labels")] = False,
    allow_future: Annotated[
        bool, typer.Option(help="Allow an AS_OF after the data's end (refused otherwise)")
    ] = False,
) -> None:
    """Build the behaviour vectors of the subscribers eligible at AS_OF. Refuses an AS_OF
    outside the data, an OUT inside RAW, and an OUT file that is not a snapshot."""
    from features.contract.guard import check_as_of, check_snapshot_file

    out = out or raw.parent / "snapshots" / f"{as_of:%Y-%m-%d}.parquet"
    try:
        check_snapshot_file(out, raw)
        check_as_of(raw, as_of.date(), allow_future)
        rows = write_snapshot(raw, as_of.date(), out, SnapshotConfig(), labels=labels)
    except ValueError as e:  # refused, or a label window the data do not cover
        typer.echo(f"error: {e}", err=True)
        raise typer.Exit(2) from e
    except OSError as e:  # a read-only or full folder
        typer.echo(f"error: cannot write {e.filename or out}: {e.strerror or e}", err=True)
        raise typer.Exit(2) from e
    typer.echo(f"{rows:,} subscribers as of {as_of:%Y-%m-%d} -> {out}")


@app.command()
def catalog(
    out: Annotated[Path, typer.Option(help="Markdown file")] = Path("docs/features.md"),
    raw: Annotated[Path | None, typer.Option(help="Raw data for null shares")] = None,
    as_of: Annotated[datetime | None, typer.Option(formats=["%Y-%m-%d"])] = None,
) -> None:
    """Write the feature catalogue (name, type, description; null share when data given)."""
    frame = build_snapshot(raw, as_of.date()) if raw and as_of else None
    write_catalog(out, frame)
    typer.echo(f"feature catalogue -> {out}")


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


def build_app() -> typer.Typer:
    """The `retain` command with every package's commands (the `retain.commands` group)."""
    root = typer.Typer(
        help="Retain: churn, customer value and retention decisions for mobile operators.",
        no_args_is_help=True,
        add_completion=False,
        pretty_exceptions_enable=False,
    )
    for ep in sorted(entry_points(group="retain.commands"), key=lambda e: e.name):
        sub = ep.load()
        root.registered_commands.extend(sub.registered_commands)
    for command in root.registered_commands:
        command.short_help = command.short_help or _first_sentence(command.callback.__doc__)
    return root


def _first_sentence(doc: str | None) -> str:
    """The first sentence of a docstring, on one line: `retain --help`'s one line a command."""
    text = " ".join((doc or "").split())
    end = text.find(". ")
    return text if end < 0 else text[: end + 1]


def main(argv: list[str] | None = None) -> None:
    """Entry point: configure logging once, gather every package's commands, run. An error
    that escapes a command is one line on stderr and exit 2; `--debug` (before the command)
    or RETAIN_DEBUG=1 shows the traceback."""
    import os
    import sys

    args = list(sys.argv[1:] if argv is None else argv)
    debug = os.environ.get("RETAIN_DEBUG") == "1"
    if args[:1] == ["--debug"]:
        debug, args = True, args[1:]
    logging.basicConfig(
        level=logging.DEBUG if debug else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    logging.getLogger("mlflow").setLevel(logging.WARNING)
    try:
        build_app()(args, prog_name="retain")
    except Exception as e:  # the last resort: commands turn expected failures into messages
        if debug:
            raise
        typer.echo(f"error: {type(e).__name__}: {_one_line(e)} (--debug shows where)", err=True)
        raise SystemExit(2) from None


def _one_line(e: Exception, limit: int = 2000) -> str:
    text = " ".join(str(e).split())
    return text if len(text) <= limit else text[:limit] + " …"
