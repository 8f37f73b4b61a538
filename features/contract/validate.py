"""Validate a folder of raw tables against the data contract, reporting every problem at once.

Where `sources.check_tables` stops a pipeline at the first bad file, this is the operator's
tool while mapping a warehouse onto the contract: it reads everything it can and lists each
problem with its count and a few examples. Checks, per table:

- files: required table missing, unreadable file;
- columns: missing, or of a type the contract does not accept (later checks skip such columns);
- values: nulls in a non-nullable column, values outside the allowed set, NaN or infinite
  numbers, negative amounts (money, minutes, megabytes, counts) and implausibly large ones;
- keys: duplicate keys (the table's grain), ids unknown to `subscribers`;
- time: rows dated before the subscriber's activation, and rows at or after the end of the
  data (`data_end`, the first day not covered, from the caller or the folder's manifest.json);
- consistency: accepted offers in a campaign's control group.

A problem is fatal when the pipeline would fail or compute wrong features or labels with it;
warnings (rows before activation, accepted control offers) leave the pipeline running.
The row-level checks are declared once (`features.contract.rules`); `features.contract.clean`
applies the same predicates to send the rows to a rejects table instead of reporting them.
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path

import duckdb
import pyarrow.parquet as pq

from features.contract.extract import RawDataError, csv_part
from features.contract.rules import WARNINGS, activation_join, row_rules
from features.contract.schema import TABLES, Table
from features.contract.sources import local_scan, raw_files


@dataclass(frozen=True)
class Problem:
    table: str
    column: str  # "" when the problem is not about one column
    check: str
    message: str
    count: int = 1
    examples: tuple[str, ...] = ()

    @property
    def fatal(self) -> bool:
        return self.check not in WARNINGS


@dataclass(frozen=True)
class Report:
    root: str
    data_end: str | None
    rows: dict[str, int]
    problems: tuple[Problem, ...]
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def fatal(self) -> bool:
        return any(p.fatal for p in self.problems)

    def checks(self) -> set[str]:
        return {p.check for p in self.problems}

    def to_dict(self) -> dict:
        out = asdict(self)
        for p, d in zip(self.problems, out["problems"], strict=True):
            d["fatal"] = p.fatal
        out["fatal"] = self.fatal
        return out

    def render(self) -> str:
        """A plain-text report, one problem per line with its examples."""
        lines = [
            f"raw folder {self.root}: " + ", ".join(f"{k} {v:,}" for k, v in self.rows.items())
        ]
        lines += [f"note: {n}" for n in self.notes]
        for p in self.problems:
            where = f"{p.table}.{p.column}" if p.column else p.table
            level = "FATAL" if p.fatal else "warning"
            lines.append(f"{level:7s} {where}: {p.check}: {p.message} ({p.count:,})")
            lines += [f"          e.g. {e}" for e in p.examples]
        return "\n".join(lines)


def validate_raw(root: Path, data_end: date | None = None, max_examples: int = 5) -> Report:
    """Check every table under `root`; `data_end` (else manifest.json's) bounds the timestamps."""
    root = Path(root)
    problems: list[Problem] = []
    notes: list[str] = []
    if data_end is None:
        data_end = _manifest_end(root)
        if data_end is None:
            notes.append("no data end given and no manifest.json: future timestamps not checked")
    if not root.is_dir():
        problems.append(Problem("", "", "missing_folder", f"{root} does not exist"))
        return Report(str(root), _iso(data_end), {}, tuple(problems), tuple(notes))
    with tempfile.TemporaryDirectory(prefix="retain-validate-") as stage:
        con = duckdb.connect()
        usable: dict[str, list[str]] = {}
        for name, table in TABLES.items():
            files = _parquet_parts(con, table, raw_files(root, name), Path(stage), problems)
            if files is None:
                if table.required:
                    why = f"required; no {root}/{name}/*.parquet|csv"
                    problems.append(Problem(name, "", "missing_table", why))
                else:
                    notes.append(f"optional table {name} absent")
                continue
            cols, files = _check_columns(table, files, problems)
            if not files:
                continue
            con.execute(f"CREATE VIEW {name} AS SELECT * FROM {local_scan(files)}")
            usable[name] = cols
        ctx = _Context(con, usable, problems, max_examples)
        for name in usable:
            _check_values(ctx, TABLES[name], data_end)
        rows = {n: con.execute(f"SELECT count(*) FROM {n}").fetchone()[0] for n in usable}
    return Report(str(root), _iso(data_end), rows, tuple(problems), tuple(notes))


def _parquet_parts(
    con: duckdb.DuckDBPyConnection,
    table: Table,
    files: list[Path],
    stage: Path,
    problems: list[Problem],
) -> list[Path] | None:
    """The table's Parquet parts, its UTF-8 CSVs typed into Parquet under `stage` as
    `retain clean` reads them (a CSV that cannot be read is a problem); None when absent."""
    if not files:
        return None
    parts = []
    for f in files:
        if f.suffix.lower() != ".csv":
            parts.append(f)
            continue
        try:
            parts.append(csv_part(con, table, f, stage))
        except RawDataError as e:
            problems.append(Problem(table.name, "", "unreadable_file", str(e)))
    return parts


def _iso(d: date | None) -> str | None:
    return d.isoformat() if d else None


def _manifest_end(root: Path) -> date | None:
    path = Path(root) / "manifest.json"
    if not path.is_file():
        return None
    end = json.loads(path.read_text()).get("data_end")
    return date.fromisoformat(end) if end else None


def _check_columns(
    table: Table, files: list[Path], problems: list[Problem]
) -> tuple[list[str], list[Path]]:
    """Record unreadable files, missing and mistyped columns; return the columns fit to check
    and the readable files."""
    missing: dict[str, list[str]] = {}
    mistyped: dict[str, list[str]] = {}
    absent: set[str] = set()  # optional columns some file leaves out: not checked
    readable = []
    for f in files:
        try:
            schema = pq.read_schema(f)
        except Exception as e:  # noqa: BLE001 - any unreadable file is reported, not raised
            problems.append(Problem(table.name, "", "unreadable_file", f"{f.name}: {e}"))
            continue
        readable.append(f)
        for col in table.columns:
            i = schema.get_field_index(col.name)
            if i < 0 and col.optional:
                absent.add(col.name)
            elif i < 0:
                missing.setdefault(col.name, []).append(f.name)
            elif not col.accepts(schema.field(i).type):
                mistyped.setdefault(col.name, []).append(f"{f.name}: {schema.field(i).type}")
    if not readable:
        return [], []
    for col, where in missing.items():
        problems.append(Problem(table.name, col, "missing_column", "column absent", len(where),
                                tuple(where[:5])))  # fmt: skip
    for col, where in mistyped.items():
        expected = table.column(col).dtype
        problems.append(Problem(table.name, col, "wrong_type", f"expected {expected}", len(where),
                                tuple(where[:5])))  # fmt: skip
    bad = set(missing) | set(mistyped) | absent
    return [c for c in table.names if c not in bad], readable


@dataclass
class _Context:
    con: duckdb.DuckDBPyConnection
    usable: dict[str, list[str]]
    problems: list[Problem]
    max_examples: int

    def has(self, table: str, *cols: str) -> bool:
        return table in self.usable and all(c in self.usable[table] for c in cols)

    def rows(self, table: str, column: str, check: str, message: str, where: str,
             show: tuple[str, ...], source: str | None = None) -> None:  # fmt: skip
        """Count the rows of `source` (default the table) matching `where`; keep examples."""
        source = source or table
        n = self.con.execute(f"SELECT count(*) FROM {source} WHERE {where}").fetchone()[0]
        if not n:
            return
        cols = ", ".join(f'"{c}"' for c in show)
        sample = self.con.execute(
            f"SELECT {cols} FROM {source} WHERE {where} ORDER BY {cols} LIMIT {self.max_examples}"
        ).fetchall()
        examples = tuple(
            ", ".join(f"{c}={v}" for c, v in zip(show, r, strict=True)) for r in sample
        )
        self.problems.append(Problem(table, column, check, message, n, examples))


def _check_values(ctx: _Context, table: Table, data_end: date | None) -> None:
    name = table.name
    for rule in row_rules(table, ctx.usable, data_end):
        source = activation_join(name) if rule.joins_activation else None
        ctx.rows(name, rule.column, rule.check, rule.message, rule.where, rule.show, source)
    key = tuple(c for c in table.key if ctx.has(name, c))
    if all(c in key or table.column(c).optional for c in table.key):
        cols = ", ".join(f'"{c}"' for c in key)
        dup = f"(SELECT {cols}, count(*) AS copies FROM {name} GROUP BY {cols} HAVING count(*) > 1)"
        ctx.rows(name, "", "duplicate_key", f"key ({', '.join(key)}) not unique", "true",
                 (*key, "copies"), source=dup)  # fmt: skip
    if name == "campaigns" and ctx.has("campaigns", "group", "accepted"):
        where = "\"group\" = 'control' AND accepted"
        ctx.rows("campaigns", "accepted", "accepted_in_control", "offer accepted in control",
                 where, ("subscriber_id", "campaign_id"))  # fmt: skip
