"""What a command checks before it writes a byte: that its output cannot destroy an input or
anything it did not write, and that its date lies inside the data.

`retain clean`, `retain score` and `retain snapshot` call `check_output` with their inputs
and the names they write; `retain score` and `retain snapshot` call `check_as_of` with the
raw folder's range (`data_range`). Each refusal is one `OutputRefused` message naming the
paths or dates, and nothing has been written when it is raised.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path

import duckdb

from features.contract.schema import TABLES
from features.contract.sources import local_scan, table_files


class OutputRefused(ValueError):
    """The output folder or date would overwrite or misdate data; the message says why."""


def _inside(a: Path, b: Path) -> bool:
    return a == b or b in a.parents


def check_output(out: Path, inputs: Iterable[Path], ours: Callable[[str], bool]) -> None:
    """Refuse `out` when it is, contains or is inside one of `inputs`, or already holds an
    entry `ours(name)` does not claim (a file this command did not write)."""
    target = Path(out).resolve()
    for given in inputs:
        src = Path(given).resolve()
        if _inside(target, src) or _inside(src, target):
            how = "is" if target == src else "is inside" if _inside(target, src) else "contains"
            raise OutputRefused(
                f"--out {out} {how} the input {given}: writing there would overwrite or delete "
                "it; choose a folder outside the input"
            )
    if target.is_dir():
        foreign = sorted(e.name for e in target.iterdir() if not ours(e.name))
        if foreign:
            shown = ", ".join(foreign[:5]) + (
                f" and {len(foreign) - 5} more" if len(foreign) > 5 else ""
            )
            raise OutputRefused(
                f"--out {out} holds files this command did not write ({shown}); it never "
                "overwrites or deletes them: choose an empty or new folder"
            )
    elif target.exists():
        raise OutputRefused(f"--out {out} is a file, not a folder")


def check_snapshot_file(out: Path, raw: Path) -> None:
    """Refuse a snapshot file `out` inside the raw folder, or in place of a file that is not
    a snapshot (its first columns subscriber_id, as_of)."""
    if _inside(Path(out).resolve(), Path(raw).resolve()):
        raise OutputRefused(f"--out {out} is inside the input {raw}: choose a file outside it")
    if Path(out).is_dir():
        raise OutputRefused(f"--out {out} is a folder; give the Parquet file to write")
    if Path(out).exists():
        import pyarrow.parquet as pq

        try:
            names = pq.read_schema(out).names[:2]
        except Exception:  # noqa: BLE001 - whatever it is, it is not ours to overwrite
            names = []
        if names != ["subscriber_id", "as_of"]:
            raise OutputRefused(
                f"--out {out} exists and is not a snapshot: it is never overwritten; choose "
                "another file"
            )


def data_range(raw: Path) -> tuple[date, date] | None:
    """(first day, first day not covered) of the raw tables' events: the earliest dated row,
    and manifest.json's `data_end`, else the day after the latest row; None without rows."""
    raw = Path(raw)
    con = duckdb.connect()
    lows, highs = [], []
    for name, table in TABLES.items():
        files = table_files(raw, name)
        if not files or not table.time_column:
            continue
        col = f'CAST("{table.time_column}" AS DATE)'
        lo, hi = con.execute(f"SELECT min({col}), max({col}) FROM {local_scan(files)}").fetchone()
        if lo is not None:
            lows.append(lo)
            highs.append(hi)
    if not lows:
        return None
    manifest = raw / "manifest.json"
    end = json.loads(manifest.read_text()).get("data_end") if manifest.is_file() else None
    return min(lows), date.fromisoformat(end) if end else max(highs) + timedelta(days=1)


def check_as_of(raw: Path, as_of: date, allow_future: bool = False) -> None:
    """Refuse an `as_of` before the data's first day, or after its end (the first day not
    covered) unless `allow_future`, naming the data's range."""
    span = data_range(raw)
    if span is None:
        return  # no dated rows: the contract checks say what is missing
    start, end = span
    if as_of <= start:
        raise OutputRefused(
            f"--as-of {as_of} is not after the data's first day: {raw} covers {start} to "
            f"{end - timedelta(days=1)}; a snapshot as of {as_of} would hold no history"
        )
    if as_of > end and not allow_future:
        raise OutputRefused(
            f"--as-of {as_of} is after the data's end: {raw} covers {start} to "
            f"{end - timedelta(days=1)} (a snapshot may be as of {end} at the latest); "
            "pass --allow-future if a date past the data is meant"
        )


@contextmanager
def exclusive(out: Path) -> Iterator[None]:
    """Hold an exclusive lock named for the folder `out` (a hidden file beside it) while a
    command builds and renames it into place; a second one is refused at once."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(out.parent / f".retain-lock-{out.name}", os.O_CREAT | os.O_RDWR, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise OutputRefused(f"--out {out}: another command is writing it") from None
        yield
    finally:
        os.close(fd)


def swap_into_place(stage: Path, out: Path) -> None:
    """Put the finished folder `stage` at `out`; an existing `out` (one this command wrote,
    `check_output` made sure) is moved aside first and removed after."""
    old = out.parent / f".{out.name}.old-{os.getpid()}"
    if out.exists():
        out.rename(old)
    stage.rename(out)
    shutil.rmtree(old, ignore_errors=True)
