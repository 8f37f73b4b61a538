"""The `retain` command. Each package contributes its commands through the
`retain.commands` entry point group, so dependencies keep pointing one way."""

from __future__ import annotations

import json
import logging
from datetime import datetime
from importlib.metadata import entry_points
from pathlib import Path
from typing import Annotated

import typer

from features.catalog import write_catalog
from features.contract.sources import write_parquet_atomic
from features.snapshot import SnapshotConfig, build_snapshot
from features.synthetic.generator import GeneratorConfig, generate_operator

app = typer.Typer(help="Raw data: generate a synthetic operator, validate, build snapshots.")


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
) -> None:
    """Simulate a mobile operator: the raw tables as Parquet, and its truth kept apart."""
    try:
        cfg = GeneratorConfig(
            subscribers=subscribers,
            months=months,
            start=start.date(),
            seed=seed,
            block_size=block_size,
        )
    except ValueError as e:
        raise typer.BadParameter(str(e)) from e
    with typer.progressbar(length=subscribers, label="simulating") as bar:
        manifest = generate_operator(
            cfg, out, truth=truth, progress=lambda done, total: bar.update(done - bar.pos)
        )
    typer.echo(
        f"generated {subscribers:,} subscribers, {manifest['data_start']} to "
        f"{manifest['data_end']} (exclusive) -> {out}; truth -> {out / manifest['truth']}"
    )


@app.command()
def validate(
    raw: Annotated[Path, typer.Option(help="Folder of raw tables")] = Path(".retain/data/raw"),
    data_end: Annotated[
        datetime | None,
        typer.Option(
            formats=["%Y-%m-%d"],
            help="First day not covered by the extract [default: manifest.json's data_end]",
        ),
    ] = None,
    report: Annotated[Path | None, typer.Option(help="Also write the report as JSON")] = None,
    examples: Annotated[int, typer.Option(min=0, help="Examples per problem")] = 5,
) -> None:
    """Check a folder of raw tables against the data contract and report every problem at
    once: missing or mistyped columns, nulls, unknown values, duplicate keys, negative
    amounts, rows before activation or after the data end, unknown subscribers. Exits 1 when
    any problem is fatal."""
    from features.contract.validate import validate_raw

    result = validate_raw(raw, data_end.date() if data_end else None, max_examples=examples)
    typer.echo(result.render())
    if report:
        write_json_atomic(result.to_dict(), report)
    fatal = sum(p.fatal for p in result.problems)
    if fatal:
        typer.echo(
            f"invalid: {fatal} fatal problem(s), {len(result.problems) - fatal} warning(s) "
            f"in {raw}" + (f"; report -> {report}" if report else ""),
            err=True,
        )
        raise typer.Exit(1)
    typer.echo(
        f"valid: {raw} ({len(result.problems)} warning(s))"
        + (f"; report -> {report}" if report else "")
    )


def write_json_atomic(obj: dict, path: Path) -> None:
    """Write `obj` as indented JSON through a temporary file and a rename."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(obj, indent=2, default=str))
    tmp.replace(path)


@app.command()
def snapshot(
    as_of: Annotated[datetime, typer.Option(formats=["%Y-%m-%d"], help="Snapshot date T")],
    raw: Annotated[Path, typer.Option(help="Folder of raw tables")] = Path(".retain/data/raw"),
    out: Annotated[Path | None, typer.Option(help="Parquet file to write")] = None,
    labels: Annotated[bool, typer.Option(help="Attach churn and value labels")] = False,
) -> None:
    """Build the behaviour vectors of the subscribers eligible at AS_OF."""
    import pyarrow as pa

    frame = build_snapshot(raw, as_of.date(), SnapshotConfig(), labels=labels)
    out = out or raw.parent / "snapshots" / f"{as_of:%Y-%m-%d}.parquet"
    write_parquet_atomic(pa.Table.from_pandas(frame, preserve_index=False), out)
    typer.echo(f"{len(frame):,} subscribers x {frame.shape[1]} columns -> {out}")


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


def build_app() -> typer.Typer:
    """The `retain` command with every package's commands (the `retain.commands` group)."""
    root = typer.Typer(
        help="Retain: churn, customer value and retention decisions for mobile operators.",
        no_args_is_help=True,
        add_completion=False,
    )
    for ep in sorted(entry_points(group="retain.commands"), key=lambda e: e.name):
        sub = ep.load()
        root.registered_commands.extend(sub.registered_commands)
    return root


def main() -> None:
    """Entry point: configure logging once, gather every package's commands, run."""
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger("mlflow").setLevel(logging.WARNING)
    build_app()()
