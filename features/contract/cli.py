"""The data contract's commands: `retain validate` (report every problem), `retain clean` (an
operator's extract in, a folder the pipelines read out, rejects beside) and
`retain contract-doc`."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer

from features.contract.clean import RawDataError, clean_raw
from features.contract.doc import DOC_PATH, render_contract
from features.contract.guard import OutputRefused
from features.contract.sources import write_json_atomic, write_text_atomic

app = typer.Typer()

# One declaration of the option `validate` and `clean` share.
DataEnd = Annotated[
    datetime | None,
    typer.Option(
        formats=["%Y-%m-%d"],
        help="First day not covered by the extract [default: manifest.json's data_end]",
    ),
]


@app.command()
def clean(
    raw: Annotated[Path, typer.Option(help="Folder of raw tables (Parquet or UTF-8 CSV)")] = Path(
        ".retain/data/raw"
    ),
    out: Annotated[Path, typer.Option(help="Folder to write (replaced as a whole)")] = Path(
        ".retain/data/clean"
    ),
    data_end: DataEnd = None,
) -> None:
    """Check every table against the data contract. Fatal problems (a required table missing
    or empty, a missing or mistyped column, an unreadable file, a CSV that is not UTF-8) stop
    it with the file, column and rows; bad rows (nulls, values outside the contract, NaN,
    negative or implausible amounts, duplicate keys, unknown subscribers, rows before
    activation or after the data end) go to OUT/rejects with their reason. Rows in = rows
    used + rows rejected, per table, in OUT/clean.json. Train and score on OUT."""
    try:
        result = clean_raw(raw, out, data_end.date() if data_end else None)
    except (RawDataError, OutputRefused) as e:
        typer.echo(f"error: {e}", err=True)
        raise typer.Exit(2) from e
    except OSError as e:  # a read-only or full output folder
        typer.echo(f"error: cannot write {e.filename or out}: {e.strerror or e}", err=True)
        raise typer.Exit(2) from e
    typer.echo(f"{'table':22s} {'rows in':>12s} {'used':>12s} {'rejected':>10s}  reasons")
    for name, t in result.tables.items():
        reasons = ", ".join(f"{r} {n:,}" for r, n in t.reasons.items())
        typer.echo(f"{name:22s} {t.rows_in:12,d} {t.rows_used:12,d} {t.rows_rejected:10,d}  "
                   f"{reasons}")  # fmt: skip
    for note in result.notes:
        typer.echo(f"note: {note}")
    typer.echo(
        f"rows in {result.rows_in:,} = used {result.rows_used:,} + rejected "
        f"{result.rows_rejected:,}; cleaned -> {out}; rejects -> {out / 'rejects'}"
    )


@app.command()
def validate(
    raw: Annotated[Path, typer.Option(help="Folder of raw tables")] = Path(".retain/data/raw"),
    data_end: DataEnd = None,
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


@app.command("contract-doc")
def contract_doc(
    out: Annotated[Path, typer.Option(help="Markdown file to write")] = DOC_PATH,
) -> None:
    """Write the data contract for operators (tables, columns, types, limits) from the code's
    own schema; the committed copy is docs/data-contract.md."""
    write_text_atomic(render_contract(), out)
    typer.echo(f"data contract -> {out}")
