"""The catalogue of bad raw inputs: each breaks a clean micro extract in one way and says
how `retain clean` must handle it. `test_clean.py` runs every entry; `bench.reliability`
runs the same entries for its table."""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from tests.conftest import write_raw
from tests.micro_extract import RECHARGES, SUBSCRIBERS, USAGE


def tables() -> dict[str, list[dict]]:
    return {
        "subscribers": [dict(r) for r in SUBSCRIBERS],
        "recharges": [dict(r) for r in RECHARGES],
        "usage_daily": [dict(r) for r in USAGE],
    }


def write(root: Path, t: dict[str, list[dict]]) -> Path:
    """Write the micro tables (`usage_daily` cast so NaN and infinity survive)."""
    return write_raw(root, **t)


@dataclass(frozen=True)
class BadInput:
    name: str
    outcome: str  # "fatal" (stops, naming file/column/rows) or "rejected" (rows set aside)
    expect: str  # a regex the fatal message matches, or the reject reason
    build: Callable[[Path], Path]  # writes the broken extract under the folder, returns it
    rejected: int = 1  # rows rejected, for "rejected"

    @property
    def handled(self) -> str:
        if self.outcome == "fatal":
            return "stopped: message names file, column, rows"
        return f"{self.rejected} row(s) to rejects: '{self.expect}'"


def _rows(table: str, change: Callable[[list[dict]], None]) -> Callable[[Path], Path]:
    def build(tmp: Path) -> Path:
        t = tables()
        rows = t.setdefault(table, [])
        change(rows)
        return write(tmp / "raw", t)

    return build


def _set(i: int, **values) -> Callable[[list[dict]], None]:
    return lambda rows: rows[i].update(values)


def _file(change: Callable[[Path], None]) -> Callable[[Path], Path]:
    def build(tmp: Path) -> Path:
        root = write(tmp / "raw", tables())
        change(root)
        return root

    return build


def _drop_column(root: Path) -> None:
    path = root / "recharges" / "part-00000.parquet"
    pq.write_table(pq.read_table(path).drop(["amount_vnd"]), path)


def _string_amounts(root: Path) -> None:
    path = root / "recharges" / "part-00000.parquet"
    t = pq.read_table(path)
    i = t.schema.get_field_index("amount_vnd")
    pq.write_table(t.set_column(i, "amount_vnd", pa.array(["20000", "50k", "10000"])), path)


def _truncate(root: Path) -> None:
    path = root / "recharges" / "part-00000.parquet"
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def _empty_subscribers(root: Path) -> None:
    path = root / "subscribers" / "part-00000.parquet"
    pq.write_table(pq.read_table(path).slice(0, 0), path)


def _csv(text: str, encoding: str) -> Callable[[Path], None]:
    def change(root: Path) -> None:
        for f in (root / "recharges").iterdir():
            f.unlink()
        (root / "recharges" / "recharges.csv").write_bytes(text.encode(encoding))

    return change


CSV_HEADER = "subscriber_id,ts,amount_vnd,channel\n"
# Vietnamese channel names: a CP1258 export writes them as base letters + combining marks.
CSV_ROWS = unicodedata.normalize(
    "NFD", "1,2025-01-05 10:00:00,20000,thẻ cào\n2,2025-01-20 18:30:00,10000,đại lý\n"
)


def _set_value(root: Path, table: str, column: str, row: int, value) -> None:
    """Set one value in the Parquet itself: the contract writer refuses nulls in keys and
    pandas would write NaN as null."""
    path = root / table / "part-00000.parquet"
    t = pq.read_table(path)
    i = t.schema.get_field_index(column)
    values = t.column(column).to_pylist()
    values[row] = value
    pq.write_table(t.set_column(i, column, pa.array(values, t.schema.field(i).type)), path)


def _usage_floats(column: str, value: float) -> Callable[[Path], None]:
    """Set row 0's `column` to `value` in the Parquet itself (pandas would write NaN as null)."""

    def change(root: Path) -> None:
        path = root / "usage_daily" / "part-00000.parquet"
        t = pq.read_table(path)
        i = t.schema.get_field_index(column)
        values = t.column(column).to_pylist()
        values[0] = value
        pq.write_table(t.set_column(i, column, pa.array(values, pa.float64())), path)

    return change


CATALOGUE: tuple[BadInput, ...] = (
    BadInput("missing required table", "fatal", r"recharges: required table missing",
             _file(lambda root: [f.unlink() for f in (root / "recharges").iterdir()])),
    BadInput("missing column", "fatal", r"recharges\.amount_vnd: column missing in .*part-00000",
             _file(_drop_column)),
    BadInput("wrong column type (Parquet)", "fatal",
             r"recharges\.amount_vnd: .*part-00000\.parquet holds string, the contract needs "
             r"int64 \(all 3 rows\)", _file(_string_amounts)),
    BadInput("wrong value type (CSV)", "fatal",
             r"recharges\.amount_vnd: .*recharges\.csv line 3: '10k' is not BIGINT",
             _file(_csv(CSV_HEADER + CSV_ROWS.replace("10000", "10k"), "utf-8"))),
    BadInput("corrupt Parquet file", "fatal",
             r"recharges: .*part-00000\.parquet is not a readable Parquet file", _file(_truncate)),
    BadInput("CSV in another encoding (CP1258)", "fatal",
             r"recharges: .*recharges\.csv is not UTF-8: line 2 .*iconv",
             _file(_csv(CSV_HEADER + CSV_ROWS, "cp1258"))),
    BadInput("empty required table", "fatal",
             r"subscribers: required table is empty \(0 rows in 1 file", _file(_empty_subscribers)),
    BadInput("null in a key", "rejected", "subscriber_id: null",
             _file(lambda root: _set_value(root, "recharges", "subscriber_id", 1, None))),
    BadInput("duplicate key, identical copy", "rejected", "duplicate_key: copy of an earlier row",
             _rows("recharges", lambda rows: rows.append(dict(rows[0])))),
    BadInput("duplicate key, copies disagree", "rejected",
             "duplicate_key: 2 rows with this key disagree",
             _rows("usage_daily", lambda rows: rows.append(dict(rows[0], revenue_vnd=99_000))),
             rejected=2),
    BadInput("negative amount", "rejected", "amount_vnd: negative",
             _rows("recharges", _set(1, amount_vnd=-50_000))),
    BadInput("absurd amount", "rejected", "amount_vnd: implausible",
             _rows("recharges", _set(1, amount_vnd=5 * 10**12))),
    BadInput("NaN", "rejected", "data_mb: not_finite",
             _file(_usage_floats("data_mb", math.nan))),
    BadInput("infinity", "rejected", "voice_out_min: not_finite",
             _file(_usage_floats("voice_out_min", math.inf))),
    BadInput("event before activation", "rejected", "ts: before_activation",
             _rows("recharges", _set(2, ts="2024-05-31 23:00:00"))),
    BadInput("event after the data end", "rejected", "date: after_data_end",
             _rows("usage_daily", _set(2, date="2025-03-01"))),
    BadInput("unknown subscriber", "rejected", "subscriber_id: unknown_subscriber",
             _rows("recharges", lambda rows: rows.append(
                 dict(subscriber_id=99, ts="2025-01-09 08:00:00", amount_vnd=20_000,
                      channel="bank_app")))),
    BadInput("value outside the allowed set", "rejected", "contract_type: not_allowed",
             _rows("subscribers", _set(2, contract_type="hybrid"))),
)  # fmt: skip


def shuffled(frame: pd.DataFrame, seed: int = 3) -> pd.DataFrame:
    """Rows in a random order: out-of-order timestamps are odd, not wrong, and must work."""
    return frame.sample(frac=1.0, random_state=seed).reset_index(drop=True)
