"""Reading an operator's extract: Parquet parts checked against the contract before any row
is read, UTF-8 CSV parts typed by the contract into Parquet. Every failure is a
`RawDataError` naming the table, the file, the column and the line."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pyarrow.parquet as pq

from features.contract.localtime import is_aware, local_time_sql
from features.contract.schema import (
    LOCAL_TIME_ZONE,
    SQL_TYPES,
    SchemaError,
    Table,
)
from features.contract.sources import first_non_utf8


class RawDataError(SchemaError):
    """The extract cannot be cleaned; the message lists each problem with file, column, rows."""


def check_parquet(table: Table, path: Path, shown: str, notes: list[str]) -> int:
    """The rows of a Parquet part whose schema meets the contract; RawDataError otherwise."""
    try:
        meta = pq.ParquetFile(path).metadata
        schema = meta.schema.to_arrow_schema()
    except Exception as e:  # noqa: BLE001 - any unreadable file is fatal, with its name
        raise RawDataError(f"{table.name}: {shown} is not a readable Parquet file ({e})") from e
    problems = []
    for col in table.columns:
        i = schema.get_field_index(col.name)
        if i < 0 and not col.optional:
            problems.append(f"{table.name}.{col.name}: column missing in {shown}")
        elif i < 0:
            continue
        elif not col.accepts(schema.field(i).type):
            found = schema.field(i).type
            problems.append(
                f"{table.name}.{col.name}: {shown} holds {found}, the contract needs "
                f"{col.dtype} (all {meta.num_rows:,} rows)"
            )
    if problems:
        raise RawDataError("; ".join(problems))
    extra = [n for n in schema.names if n not in table.names]
    if extra:
        notes.append(f"{table.name}: extra columns {extra} in {shown} dropped")
    return meta.num_rows


def csv_part(con: duckdb.DuckDBPyConnection, table: Table, path: Path, stage: Path) -> Path:
    """Convert a UTF-8 CSV with a header to Parquet under `stage`, typed by the contract."""
    bad = first_non_utf8(path)
    if bad:
        line, offset, data = bad
        raise RawDataError(
            f"{table.name}: {path} is not UTF-8: line {line} (byte {offset:,}: {data!r}); "
            "re-export it as UTF-8, e.g. iconv -f CP1258 -t UTF-8"
        )
    header = con.execute(
        "SELECT * FROM read_csv(?, header = true, all_varchar = true) LIMIT 0", [str(path)]
    ).description
    names = [d[0] for d in header]
    missing = [c.name for c in table.columns if c.name not in names and not c.optional]
    if missing:
        raise RawDataError(
            "; ".join(f"{table.name}.{c}: column missing in {path}" for c in missing)
        )
    types = {n: SQL_TYPES[table.column(n).dtype] if n in table.names else "VARCHAR" for n in names}
    # A time with an offset (or Z) is converted to local time, one without is local already:
    # read as TIMESTAMPTZ in the local zone, written naive (DuckDB's plain TIMESTAMP cast
    # would drop the offset silently).
    con.execute(f"SET TimeZone = '{LOCAL_TIME_ZONE}'")
    stamps = [n for n in table.names if table.column(n).dtype == "timestamp" and n in names]
    types |= {n: "TIMESTAMPTZ" for n in stamps}
    part = stage / "_csv" / table.name / f"{path.stem}.parquet"
    part.parent.mkdir(parents=True, exist_ok=True)
    cols = ", ".join(
        f'{local_time_sql(c)} AS "{c}"'
        if c in stamps
        else (
            f'"{c}"' if c in names else f'CAST(NULL AS {SQL_TYPES[table.column(c).dtype]}) AS "{c}"'
        )
        for c in table.names
    )  # timestamps to local time; absent optional columns as typed nulls
    try:
        con.execute(
            f"COPY (SELECT {cols} FROM read_csv(?, header = true, columns = {types!r})) "
            f"TO '{part}' (FORMAT parquet)",
            [str(path)],
        )
    except duckdb.Error as e:
        text = str(e)
        line = re.search(r"CSV Error on Line: (\d+)", text)
        column = re.search(r'converting column "([^"]+)"', text)
        value = re.search(r'Could not convert string "([^"]*)" to \'(\w+)\'', text)
        where = f"{table.name}.{column.group(1)}" if column else table.name
        what = (f"'{value.group(1)}' is not {value.group(2)}" if value
                else text.splitlines()[0])  # fmt: skip
        raise RawDataError(f"{where}: {path} line {line.group(1) if line else '?'}: {what}") from e
    return part


def typed_columns(table: Table, path: Path) -> str:
    """The contract's columns of one Parquet part, cast to their types: absent optional
    columns as typed nulls, timezone-aware timestamps converted to local time first
    (`localtime.local_time_sql`), not cut to UTC."""
    schema = pq.read_schema(path)
    out = []
    for c in table.columns:
        i = schema.get_field_index(c.name)
        if i < 0:  # an absent optional column (check_parquet refused absent required ones)
            value = "NULL"
        elif is_aware(schema.field(i).type):
            value = local_time_sql(c.name)
        else:
            value = f'"{c.name}"'
        out.append(f'CAST({value} AS {SQL_TYPES[c.dtype]}) AS "{c.name}"')
    return ", ".join(out)
