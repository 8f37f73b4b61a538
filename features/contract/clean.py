"""Clean a folder of raw tables: fatal problems stop, bad rows go to rejects, nothing is lost.

`clean_raw(raw, out)` reads an operator's extract (Parquet, or UTF-8 CSV, per table folder)
and writes a folder the pipelines read (`retain train --raw OUT`, `retain score --raw OUT`):

- fatal problems stop it before anything is written, each named with its file, column and
  rows: a required table missing or empty, a missing column, a column of another type (or
  a CSV value that does not parse, with its line), a file that is not Parquet, a CSV that
  is not UTF-8 (with the line of the first bad byte);
- row-level problems send the row to `OUT/rejects/<table>.parquet` with `reject_reason`
  (`column: check`) and the row's `source_file` and `source_row` (0-based; a CSV's line is
  `source_row + 2`). The predicates are `features.contract.validate.row_rules`, the ones
  `retain validate` reports, applied in one DuckDB pass per table. Then duplicate keys: of
  identical copies the first is kept and the others rejected; copies that disagree are all
  rejected (which one is true is not ours to guess). Rows whose subscriber was rejected go
  too, so no kept row points at a subscriber the pipelines do not know;
- `OUT/clean.json` reconciles every table: rows in = rows used + rows rejected, by reason.

Extra columns are dropped (and noted). Row order does not matter to the pipelines: every
feature is an aggregate over a time window. The folder is built beside OUT and renamed into
place, so a killed run leaves the previous OUT (or none), never half of one.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path

import duckdb
import pyarrow.parquet as pq

from features.contract.extract import RawDataError, check_parquet, csv_part, typed_columns
from features.contract.guard import check_output, exclusive, swap_into_place
from features.contract.rules import activation_join, row_rules
from features.contract.schema import TABLES, Table
from features.contract.sources import raw_files, table_files
from features.contract.validate import validate_raw

log = logging.getLogger(__name__)

MARKER = "clean.json"


@dataclass(frozen=True)
class TableCounts:
    rows_in: int
    rows_used: int
    rows_rejected: int
    reasons: dict[str, int]


@dataclass(frozen=True)
class CleanResult:
    raw: str
    out: str
    data_end: str | None
    tables: dict[str, TableCounts]
    notes: tuple[str, ...] = ()
    files: dict[str, int] = field(default_factory=dict)  # used files -> bytes (the stamp)

    @property
    def rows_in(self) -> int:
        return sum(t.rows_in for t in self.tables.values())

    @property
    def rows_used(self) -> int:
        return sum(t.rows_used for t in self.tables.values())

    @property
    def rows_rejected(self) -> int:
        return sum(t.rows_rejected for t in self.tables.values())

    def to_dict(self) -> dict:
        return asdict(self) | {
            "rows_in": self.rows_in,
            "rows_used": self.rows_used,
            "rows_rejected": self.rows_rejected,
        }


def clean_raw(
    raw: Path, out: Path, data_end: date | None = None, threads: int | None = None
) -> CleanResult:
    """Clean `raw` into `out` (replaced as a whole); `data_end` (else manifest.json's) is the
    first day not covered: rows at or after it are rejected. Raises RawDataError, or
    OutputRefused when `out` is, holds or lies inside `raw`, or holds files clean did not
    write (nothing is written then)."""
    raw, out = Path(raw), Path(out)
    if not raw.is_dir():
        raise RawDataError(f"raw data folder {raw} does not exist")
    manifest = _manifest(raw)
    if data_end is None and manifest.get("data_end"):
        data_end = date.fromisoformat(manifest["data_end"])
    notes = [] if data_end else ["no data end given and no manifest.json: future rows kept"]
    owned = (out / MARKER).is_file()  # an earlier clean output: replaced as a whole
    check_output(out, [raw], lambda name: owned and name in (*TABLES, "rejects", MARKER,
                                                              "manifest.json"))  # fmt: skip
    with exclusive(out):
        return _clean(raw, out, data_end, threads, manifest, notes)


def _clean(raw: Path, out: Path, data_end, threads, manifest: dict, notes: list[str]):
    stage = out.parent / f".{out.name}.tmp-{os.getpid()}"
    shutil.rmtree(stage, ignore_errors=True)
    stage.mkdir(parents=True)
    try:
        con = duckdb.connect()
        if threads:
            con.execute(f"SET threads = {int(threads)}")
        sources = _fatal_pass(con, raw, stage, notes)
        counts = {}
        for name in sources:  # subscribers first: the other tables check against its result
            counts[name] = _clean_table(con, TABLES[name], sources, stage, data_end)
        files = {
            str(p.relative_to(stage)): p.stat().st_size
            for name in counts
            for p in table_files(stage, name)
        }
        result = CleanResult(str(raw), str(out), data_end and data_end.isoformat(), counts,
                             tuple(notes), files)  # fmt: skip
        shutil.rmtree(stage / "_stage", ignore_errors=True)
        shutil.rmtree(stage / "_csv", ignore_errors=True)
        (stage / MARKER).write_text(json.dumps(result.to_dict(), indent=2, sort_keys=True))
        manifest = manifest | ({"data_end": data_end.isoformat()} if data_end else {})
        (stage / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True))
        swap_into_place(stage, out)
    finally:
        shutil.rmtree(stage, ignore_errors=True)
    log.info("cleaned %s -> %s: rows in %d = used %d + rejected %d", raw, out,
             result.rows_in, result.rows_used, result.rows_rejected)  # fmt: skip
    return result


def is_clean(root: Path) -> bool:
    """True when `root` is an output of `clean_raw` whose table files are unchanged."""
    path = Path(root) / MARKER
    if not path.is_file():
        return False
    stamp = json.loads(path.read_text()).get("files", {})
    now = {str(p.relative_to(root)): p.stat().st_size for n in TABLES for p in table_files(root, n)}
    return bool(stamp) and stamp == now


def require_valid(raw: Path, data_end: date | None = None) -> None:
    """The pipelines' gate: pass a `clean_raw` output, or a folder `validate_raw` finds no
    fatal problem in; otherwise raise RawDataError with the report and what to do."""
    if is_clean(raw):
        return
    report = validate_raw(raw, data_end)
    if report.fatal:
        raise RawDataError(
            f"{raw} fails validation; nothing was trained or scored:\n{report.render()}\n"
            f"Set the bad rows aside with `retain clean --raw {raw} --out <folder>` and use "
            "that folder."
        )
    for p in report.problems:
        log.warning("%s.%s: %s (%d rows)", p.table, p.column, p.message, p.count)


def _quote(text: str) -> str:
    return text.replace("'", "''")


def _manifest(raw: Path) -> dict:
    path = raw / "manifest.json"
    return json.loads(path.read_text()) if path.is_file() else {}


def _fatal_pass(
    con: duckdb.DuckDBPyConnection, raw: Path, stage: Path, notes: list[str]
) -> dict[str, list[tuple[Path, str]]]:
    """Check every file; return per present table its (Parquet path, source name) pairs,
    CSVs converted to Parquet under `stage`. Raise RawDataError listing every fatal problem."""
    problems: list[str] = []
    sources: dict[str, list[tuple[Path, str]]] = {}
    for name, table in TABLES.items():
        files = raw_files(raw, name)
        if not files:
            if table.required:
                problems.append(f"{name}: required table missing (no {raw}/{name}/*.parquet|csv)")
            else:
                notes.append(f"optional table {name} absent")
            continue
        parts, rows = [], 0
        for f in files:
            try:
                part = csv_part(con, table, f, stage) if f.suffix.lower() == ".csv" else f
                rows += check_parquet(table, part, str(f), notes)
                parts.append((part, str(f)))
            except RawDataError as e:
                problems.append(str(e))
        if rows == 0 and len(parts) == len(files) and table.required:
            problems.append(f"{name}: required table is empty (0 rows in {len(files)} file(s): "
                            f"{', '.join(f.name for f in files)})")  # fmt: skip
        sources[name] = parts
    if problems:
        raise RawDataError("cannot clean " + str(raw) + ":\n  " + "\n  ".join(problems))
    return sources


def _clean_table(
    con: duckdb.DuckDBPyConnection,
    table: Table,
    sources: dict[str, list[tuple[Path, str]]],
    stage: Path,
    data_end: date | None,
) -> TableCounts:
    name = table.name
    scans = " UNION ALL ".join(
        f"SELECT {typed_columns(table, path)}, '{_quote(shown)}' AS source_file, "
        f"file_row_number AS source_row FROM read_parquet('{path}', file_row_number = true)"
        for path, shown in sources[name]
    )
    con.execute(f"CREATE OR REPLACE VIEW {name} AS {scans}")
    usable = {n: TABLES[n].names for n in sources}
    rules = row_rules(table, usable, data_end)
    cases = [(r.where, r.reason) for r in rules]
    if name != "subscribers":
        cases.insert(
            next((i + 1 for i, r in enumerate(rules) if r.check == "unknown_subscriber"), 0),
            ("subscriber_id NOT IN (SELECT subscriber_id FROM clean_subscribers)",
             "subscriber_id: subscriber_rejected"),
        )  # fmt: skip
    reason = "CASE " + " ".join(f"WHEN {w} THEN '{r}'" for w, r in cases) + " END"
    source = activation_join(name) if any(r.joins_activation for r in rules) else name
    cols = ", ".join(f'"{c}"' for c in table.names)
    staged = stage / "_stage" / f"{name}.parquet"
    staged.parent.mkdir(parents=True, exist_ok=True)
    con.execute(
        f"COPY (SELECT {cols}, source_file, source_row, {reason} AS reject_reason "
        f"FROM {source}) TO '{staged}' (FORMAT parquet)"
    )
    con.execute(f"CREATE OR REPLACE VIEW staged AS SELECT * FROM read_parquet('{staged}')")
    key = ", ".join(f'"{c}"' for c in table.key)

    # Key columns may be null (an optional part of the key): matched null-safely.
    def on(a: str, b: str) -> str:
        return " AND ".join(f'{a}."{c}" IS NOT DISTINCT FROM {b}."{c}"' for c in table.key)

    s_cols = ", ".join(f's."{c}"' for c in table.names)
    # Duplicate keys among the rows that passed: identical copies keep the first.
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE dup AS
        WITH keys AS (
            SELECT {key}, count(*) AS copies FROM staged WHERE reject_reason IS NULL
            GROUP BY ALL HAVING count(*) > 1)
        SELECT s.* EXCLUDE (reject_reason),
            CASE WHEN count(*) OVER (PARTITION BY {s_cols}) < k.copies
                 THEN 'duplicate_key: ' || k.copies || ' rows with this key disagree'
                 WHEN row_number() OVER (PARTITION BY {s_cols} ORDER BY source_file, source_row) > 1
                 THEN 'duplicate_key: copy of an earlier row' END AS reject_reason
        FROM staged s JOIN keys k ON ({on("s", "k")})
        WHERE s.reject_reason IS NULL""")  # fmt: skip
    used = stage / name / "part-00000.parquet"
    used.parent.mkdir(parents=True, exist_ok=True)
    con.execute(
        f"COPY (SELECT {cols} FROM staged a ANTI JOIN dup b ON ({on('a', 'b')}) "
        "WHERE a.reject_reason IS NULL UNION ALL "
        f"SELECT {cols} FROM dup WHERE reject_reason IS NULL) "
        f"TO '{used}' (FORMAT parquet, COMPRESSION zstd)"
    )
    rejects = stage / "rejects" / f"{name}.parquet"
    rejects.parent.mkdir(parents=True, exist_ok=True)
    out_cols = f"{cols}, reject_reason, source_file, source_row"
    con.execute(
        f"COPY (SELECT {out_cols} FROM staged WHERE reject_reason IS NOT NULL UNION ALL "
        f"SELECT {out_cols} FROM dup WHERE reject_reason IS NOT NULL "
        f"ORDER BY source_file, source_row) TO '{rejects}' (FORMAT parquet, COMPRESSION zstd)"
    )
    if name == "subscribers":
        con.execute(
            "CREATE OR REPLACE TEMP TABLE clean_subscribers AS "
            f"SELECT subscriber_id FROM read_parquet('{used}')"
        )
    rows_in = con.execute("SELECT count(*) FROM staged").fetchone()[0]
    rows_used = pq.ParquetFile(used).metadata.num_rows
    reasons = dict(con.execute(
        f"SELECT reject_reason, count(*) FROM read_parquet('{rejects}') GROUP BY 1 ORDER BY 1"
    ).fetchall())  # fmt: skip
    rejected = sum(reasons.values())
    if rows_in != rows_used + rejected:
        raise AssertionError(f"{name}: rows in {rows_in} != used {rows_used} + rejected {rejected}")
    return TableCounts(rows_in, rows_used, rejected, reasons)
