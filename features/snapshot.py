"""Point-in-time snapshots on DuckDB (the embedded engine): one vector per eligible subscriber.

The queries come from `features.query`, compiled from the declarations in
`features.definitions`; `features.spark_engine` runs the same compiled SQL on Spark. The
rules (eligibility, the as-of cut, the label windows) are stated there, once.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow.parquet as pq

from features.contract.schema import SQL_TYPES, TABLES
from features.contract.sources import check_tables, local_scan, replacing
from features.dialect import DUCKDB
from features.labels import check_label_coverage, labels_sql
from features.query import SnapshotConfig, snapshot_sql

__all__ = ["SnapshotConfig", "build_snapshot", "connect", "present_tables"]

_PRESENT = "retain_present_tables"


def connect(
    raw: Path, threads: int | None = None, memory_limit: str | None = None
) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB with one view per raw table (empty, typed views for absent ones).

    `memory_limit` (e.g. "3GB") caps DuckDB's buffer memory; above it, operators spill.
    """
    files = check_tables(raw)
    con = duckdb.connect()
    # Results are ordered explicitly; not preserving scan order saves memory on big bases.
    con.execute("SET preserve_insertion_order = false")
    if threads:
        con.execute(f"SET threads = {int(threads)}")
    if memory_limit:
        con.execute(f"SET memory_limit = '{memory_limit}'")
    for name, table in TABLES.items():
        if name in files:
            # timezone-aware timestamps read as local time, as every command reads them;
            # absent optional columns as typed nulls (one layout for every reader)
            present = {n for p in files[name] for n in pq.read_schema(p).names}
            con.execute(
                f"CREATE VIEW {name} AS SELECT {table.select_sql(present)} "
                f"FROM {local_scan(files[name])}"
            )
        else:
            cols = ", ".join(
                f'CAST(NULL AS {SQL_TYPES[c.dtype]}) AS "{c.name}"' for c in table.columns
            )
            con.execute(f"CREATE VIEW {name} AS SELECT {cols} WHERE false")
    con.execute(f"CREATE TABLE {_PRESENT} (name VARCHAR)")
    con.executemany(f"INSERT INTO {_PRESENT} VALUES (?)", [[n] for n in files])
    return con


def present_tables(con: duckdb.DuckDBPyConnection) -> set[str]:
    """The raw tables `connect` found (every table, for a connection made elsewhere)."""
    try:
        return {r[0] for r in con.execute(f"SELECT name FROM {_PRESENT}").fetchall()}
    except duckdb.CatalogException:
        return set(TABLES)


def _check_coverage(con, tables: set[str], as_of: date, config: SnapshotConfig) -> None:
    if "usage_daily" in tables:
        column, query = "usage_daily.date", "SELECT max(date) FROM usage_daily"
    else:
        column, query = "recharges.ts", "SELECT CAST(max(ts) AS DATE) FROM recharges"
    check_label_coverage(con.execute(query).fetchone()[0], as_of, config, column)


def build_snapshot(
    raw: Path | duckdb.DuckDBPyConnection,
    as_of: date,
    config: SnapshotConfig = SnapshotConfig(),
    labels: bool = False,
) -> pd.DataFrame:
    """Behaviour vectors of the subscribers eligible at `as_of`, optionally with labels.

    With `labels=True` the raw data must cover the label windows: the usage table (the
    recharge log when there is no usage table) must reach as_of + max(H, V) - 1, or a
    ValueError says which window is not covered. `frame.attrs["tables"]` lists the raw
    tables present; the families of absent ones are null.
    """
    con = raw if isinstance(raw, duckdb.DuckDBPyConnection) else connect(raw)
    tables = present_tables(con)
    # Columns straight into the frame's arrays (not `.df()`'s consolidated copy): at a million
    # subscribers this keeps ~0.5 GiB out of the peak (bench/features.py).
    result = con.execute(snapshot_sql(as_of, config, DUCKDB, tables)).fetchnumpy()
    frame = pd.DataFrame(result, copy=False)
    del result
    if labels:
        _check_coverage(con, tables, as_of, config)
        lab = con.execute(labels_sql(as_of, config, DUCKDB, tables)).df()
        frame = frame.merge(lab, on="subscriber_id", how="left", validate="one_to_one")
    frame["as_of"] = pd.to_datetime(frame["as_of"]).dt.date
    frame.attrs["tables"] = sorted(tables)
    return frame


def write_snapshot(
    raw: Path,
    as_of: date,
    path: Path,
    config: SnapshotConfig = SnapshotConfig(),
    threads: int | None = None,
    labels: bool = False,
    memory_limit: str | None = None,
) -> int:
    """Compute the snapshot as of `as_of` straight into a Parquet file (DuckDB streams it);
    return its rows. The one snapshot writer of `retain snapshot` and `retain score`; with
    `labels`, as `build_snapshot`. Its aggregates grow with the base: `memory_limit` (as
    `connect`) caps DuckDB's memory, beyond which it spills."""
    path = Path(path)
    con = connect(raw, threads=threads, memory_limit=memory_limit)
    tables = present_tables(con)
    query = snapshot_sql(as_of, config, DUCKDB, tables)
    if labels:
        _check_coverage(con, tables, as_of, config)
        query = (
            f"SELECT v.*, lab.* EXCLUDE (subscriber_id) FROM ({query}) v "
            f"LEFT JOIN ({labels_sql(as_of, config, DUCKDB, tables)}) lab USING (subscriber_id) "
            "ORDER BY v.subscriber_id"
        )
    with replacing(path) as tmp:
        con.execute(f"COPY ({query}) TO '{tmp}' (FORMAT parquet, COMPRESSION zstd)")
    return pq.ParquetFile(path).metadata.num_rows
