"""Reading and writing raw tables: the file edge of `features`.

A raw folder holds one sub-folder per table (`<root>/<table>/*.parquet`), so a table can be
written in parts (one per block of subscribers) and read as one. Every read checks the
file schemas against the contract before any data is used.
"""

from __future__ import annotations

import codecs
import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from features.contract.localtime import is_aware, local_time_sql
from features.contract.schema import TABLES, SchemaError, Table


def table_files(root: Path, table: str) -> list[Path]:
    """The Parquet files of `table` under `root`, in a stable order."""
    folder = Path(root) / table
    return sorted(folder.glob("*.parquet")) if folder.is_dir() else []


def raw_files(root: Path, table: str) -> list[Path]:
    """The Parquet and CSV files of `table` under `root` (what `retain clean` reads)."""
    folder = Path(root) / table
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.suffix.lower() in (".parquet", ".csv"))


def local_scan(files: list[Path]) -> str:
    """A DuckDB FROM clause over Parquet `files` with timezone-aware timestamp columns read
    as local time (`localtime.local_time_sql`); the plain multi-file scan when none has one."""
    paths = ", ".join(f"'{p}'" for p in files)
    aware = [[f.name for f in pq.read_schema(p) if is_aware(f.type)] for p in files]
    if not any(aware):
        return f"read_parquet([{paths}], union_by_name = true)"
    scans = []
    for path, cols in zip(files, aware, strict=True):
        replace = ", ".join(f'{local_time_sql(c)} AS "{c}"' for c in cols)
        scans.append(
            f"SELECT * {f'REPLACE ({replace})' if cols else ''} FROM read_parquet('{path}')"
        )
    return "(" + " UNION ALL BY NAME ".join(scans) + ")"


def first_non_utf8(path: Path, block: int = 1 << 23) -> tuple[int, int, bytes] | None:
    """(line, byte offset, bad bytes) of the first byte sequence in `path` that is not UTF-8,
    or None when the whole file decodes (a UTF-8 byte-order mark is fine)."""
    decoder = codecs.getincrementaldecoder("utf-8")("strict")
    lines, offset = 1, 0
    with open(path, "rb") as f:
        while True:
            data = f.read(block)
            try:
                decoder.decode(data, final=not data)
            except UnicodeDecodeError as e:
                # the decoder may hold up to three bytes of a sequence from the previous block
                start = max(e.start - len(e.object) + len(data), 0)
                bad_at = offset + start
                head = data[:start]
                return lines + head.count(b"\n"), bad_at, data[start : start + 4]
            if not data:
                return None
            lines += data.count(b"\n")
            offset += len(data)


def check_tables(root: Path) -> dict[str, list[Path]]:
    """Check every table's file schemas under `root`; return the files of the tables present.

    Raises SchemaError naming the table (and the column, where one is at fault) when a
    required table is absent or any file's columns do not match the contract.
    """
    root = Path(root)
    if not root.is_dir():
        raise SchemaError(f"raw data folder {root} does not exist")
    present: dict[str, list[Path]] = {}
    problems: list[str] = []
    for name, table in TABLES.items():
        files = table_files(root, name)
        if not files:
            if table.required:
                problems.append(f"{name}: required table missing (no {root}/{name}/*.parquet)")
            continue
        for f in files:
            try:
                table.check(pq.read_schema(f), source=str(f))
            except SchemaError as e:
                problems.append(str(e))
            except (pa.ArrowInvalid, OSError) as e:
                problems.append(f"{name}: cannot read {f}: {e}")
        present[name] = files
    if problems:
        raise SchemaError("; ".join(problems))
    return present


def read_table(root: Path, name: str, columns: list[str] | None = None) -> pd.DataFrame:
    """Read one raw table as pandas, checked against the contract."""
    table = TABLES[name]
    files = table_files(root, name)
    if not files:
        raise SchemaError(f"{name}: no {Path(root)}/{name}/*.parquet")
    present: set[str] = set()
    for f in files:
        schema = pq.read_schema(f)
        table.check(schema, source=str(f))
        present.update(schema.names)
    wanted = columns or table.names
    frame = pq.ParquetDataset(files).read(columns=[c for c in wanted if c in present]).to_pandas()
    for c in wanted:  # an absent optional column reads as null
        if c not in frame.columns:
            frame[c] = pd.Series(None, index=frame.index, dtype=object)
    return frame[wanted]


def write_table(frame: pd.DataFrame, table: Table, path: Path) -> Path:
    """Write `frame` as one Parquet part of `table`, cast to the contract's types, atomically;
    optional columns the frame does not hold are left out (readers see them as null)."""
    names = [c.name for c in table.columns if c.name in frame.columns or not c.optional]
    arrow = pa.Table.from_pandas(frame[names], preserve_index=False)
    schema = table.arrow_schema()
    arrow = arrow.cast(pa.schema([schema.field(n) for n in names]))
    return write_parquet_atomic(arrow, path)


@contextmanager
def replacing(path: Path) -> Iterator[Path]:
    """A hidden temporary beside `path` to write: renamed onto `path` if the block succeeds,
    removed if it raises. The one write-then-rename every command's outputs go through, so a
    reader never sees half a file; a SIGKILL leaves the temporary (`.{name}.XXXXXXXX.tmp`)
    for the batch job's sweep."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        tmp.chmod(0o644)
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)


def write_parquet_atomic(arrow: pa.Table, path: Path) -> Path:
    """Write an Arrow table to `path` (zstd Parquet) through a temporary file and a rename."""
    with replacing(path) as tmp:
        pq.write_table(arrow, tmp, compression="zstd")
    return Path(path)


def write_text_atomic(text: str, path: Path) -> Path:
    """Write `text` (UTF-8) to `path` through a temporary file and a rename."""
    with replacing(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(path)


def write_json_atomic(obj: dict, path: Path) -> Path:
    """Write `obj` as indented JSON through a temporary file and a rename."""
    return write_text_atomic(json.dumps(obj, indent=2, default=str), path)
