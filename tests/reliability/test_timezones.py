"""Probe of issue 15, item 7: timezone-aware timestamps (a Parquet timestamp in UTC, a CSV
time with an offset) are read as the contract's local time (Asia/Ho_Chi_Minh) by clean,
validate and the snapshot alike, with no package beyond the installed ones (no pytz)."""

from __future__ import annotations

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from features.contract.clean import clean_raw
from features.contract.schema import LOCAL_TIME_ZONE
from features.contract.validate import validate_raw
from features.snapshot import build_snapshot
from tests.micro_extract import END
from tests.reliability.bad_inputs import CSV_HEADER, tables, write

AS_OF = END


def _aware(root, zone: str = "UTC") -> None:
    """The recharges' local times, stored as the same instants in `zone` (tz-aware)."""
    path = root / "recharges" / "part-00000.parquet"
    t = pq.read_table(path)
    i = t.schema.get_field_index("ts")
    local = pc.assume_timezone(t.column("ts"), LOCAL_TIME_ZONE)
    pq.write_table(t.set_column(i, "ts", local.cast(pa.timestamp("us", tz=zone))), path)


@pytest.fixture
def naive_and_aware(tmp_path):
    naive = write(tmp_path / "naive", tables())
    aware = write(tmp_path / "aware", tables())
    _aware(aware)
    assert pq.read_schema(aware / "recharges" / "part-00000.parquet").field("ts").type.tz
    return naive, aware


def _ts(root):
    return pq.read_table(root / "recharges").column("ts").to_pylist()


def test_probe_7a_clean_reads_utc_parquet_as_local_time(naive_and_aware, tmp_path):
    naive, aware = naive_and_aware
    a = clean_raw(naive, tmp_path / "clean-naive", END)
    b = clean_raw(aware, tmp_path / "clean-aware", END)
    assert a.tables == b.tables
    assert _ts(tmp_path / "clean-naive") == _ts(tmp_path / "clean-aware")


def test_probe_7b_validate_and_snapshot_read_it_the_same_way(naive_and_aware):
    naive, aware = naive_and_aware
    assert validate_raw(naive, END).problems == validate_raw(aware, END).problems
    assert not validate_raw(aware, END).fatal
    pd.testing.assert_frame_equal(build_snapshot(naive, AS_OF), build_snapshot(aware, AS_OF))


def test_probe_7c_csv_offsets_are_converted_and_plain_times_kept(tmp_path):
    raw = write(tmp_path / "raw", tables())
    for f in (raw / "recharges").iterdir():
        f.unlink()
    (raw / "recharges" / "recharges.csv").write_text(
        CSV_HEADER
        + "1,2025-01-05 03:00:00Z,20000,bank_app\n"  # 10:00 local
        + "2,2025-01-20 18:30:00+07:00,10000,bank_app\n"  # local already, said so
        + "3,2025-01-21 09:15:00,10000,bank_app\n"  # no offset: local by the contract
    )
    clean_raw(raw, tmp_path / "clean", END)
    got = sorted(str(t) for t in _ts(tmp_path / "clean"))
    assert got == ["2025-01-05 10:00:00", "2025-01-20 18:30:00", "2025-01-21 09:15:00"]
