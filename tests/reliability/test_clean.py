"""`retain clean` on the catalogue of bad inputs: fatal ones stop with file, column and rows;
bad rows go to rejects with their reason, and rows in = rows used + rows rejected."""

from __future__ import annotations

import shutil

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from features.contract.clean import RawDataError, clean_raw, is_clean, require_valid
from features.contract.cli import app
from features.contract.sources import write_parquet_atomic
from features.snapshot import build_snapshot
from tests.conftest import TINY_SCORE_AS_OF
from tests.micro_extract import END
from tests.reliability.bad_inputs import (
    CATALOGUE,
    CSV_HEADER,
    CSV_ROWS,
    shuffled,
    tables,
    write,
)
from tests.reliability.conftest import record

FATAL = [c for c in CATALOGUE if c.outcome == "fatal"]
REJECTED = [c for c in CATALOGUE if c.outcome == "rejected"]


def reconciles(result) -> bool:
    return all(t.rows_in == t.rows_used + t.rows_rejected for t in result.tables.values()) and (
        result.rows_in == result.rows_used + result.rows_rejected
    )


@pytest.mark.parametrize("case", FATAL, ids=[c.name for c in FATAL])
def test_fatal_input_stops_naming_file_column_rows(case, tmp_path):
    raw = case.build(tmp_path)
    with pytest.raises(RawDataError, match=case.expect):
        clean_raw(raw, tmp_path / "clean", END)
    record("rows", case.name, rows_in=0, rows_lost=0, outcome="stopped")
    assert not (tmp_path / "clean").exists()
    assert not list(tmp_path.glob(".clean*"))  # no staging folder left behind


@pytest.mark.parametrize("case", REJECTED, ids=[c.name for c in REJECTED])
def test_bad_rows_go_to_rejects_and_counts_reconcile(case, tmp_path):
    raw = case.build(tmp_path)
    result = clean_raw(raw, tmp_path / "clean", END)
    found = {r: n for t in result.tables.values() for r, n in t.reasons.items()}
    record("rows", case.name, rows_in=result.rows_in,
           rows_lost=result.rows_in - result.rows_used - result.rows_rejected,
           outcome="rejected", rejected=found.get(case.expect, 0))  # fmt: skip
    assert reconciles(result), result
    assert found.get(case.expect) == case.rejected, found
    table = next(n for n, t in result.tables.items() if case.expect in t.reasons)
    rejects = pq.read_table(tmp_path / "clean" / "rejects" / f"{table}.parquet").to_pandas()
    mine = rejects[rejects["reject_reason"] == case.expect]
    assert len(mine) == case.rejected
    assert mine["source_file"].str.endswith("part-00000.parquet").all()
    assert mine["source_row"].notna().all()
    used = pq.read_table(tmp_path / "clean" / table).to_pandas()
    assert len(used) == result.tables[table].rows_used
    assert is_clean(tmp_path / "clean")


def test_a_clean_extract_keeps_every_row(tmp_path):
    result = clean_raw(write(tmp_path / "raw", tables()), tmp_path / "clean", END)
    assert result.rows_rejected == 0 and result.rows_in == result.rows_used == 9
    assert result.notes == ()


def test_every_kind_at_once_reconciles_and_nothing_leaks(tmp_path):
    t = tables()
    t["recharges"] += [dict(t["recharges"][0]), dict(subscriber_id=99, ts="2025-01-09 08:00:00",
                       amount_vnd=20_000, channel="bank_app")]  # fmt: skip
    t["recharges"][1]["amount_vnd"] = -1
    t["usage_daily"][2]["date"] = "2025-03-04"
    t["subscribers"][2]["region"] = "west"  # subscriber 3 rejected: its usage row goes too
    result = clean_raw(write(tmp_path / "raw", t), tmp_path / "clean", END)
    record("rows", "every kind at once", rows_in=result.rows_in, rows_used=result.rows_used,
           rows_rejected=result.rows_rejected,
           rows_lost=result.rows_in - result.rows_used - result.rows_rejected)  # fmt: skip
    assert reconciles(result)
    assert result.tables["recharges"].reasons == {
        "amount_vnd: negative": 1,
        "duplicate_key: copy of an earlier row": 1,
        "subscriber_id: unknown_subscriber": 1,
    }
    assert result.tables["usage_daily"].reasons == {"subscriber_id: subscriber_rejected": 1}
    assert (result.rows_in, result.rows_used, result.rows_rejected) == (11, 6, 5)
    # what the pipelines read from the cleaned folder passes validation
    require_valid(tmp_path / "clean")


def test_utf8_csv_reads_like_parquet_and_extra_columns_are_dropped(tmp_path):
    raw = write(tmp_path / "raw", tables())
    for f in (raw / "recharges").iterdir():
        f.unlink()
    (raw / "recharges" / "r.csv").write_text(CSV_HEADER + CSV_ROWS, encoding="utf-8")
    subs = pq.read_table(raw / "subscribers" / "part-00000.parquet").to_pandas()
    subs["msisdn"] = ["84901234567", "84901234568", "84901234569"]  # not in the contract
    subs.to_parquet(raw / "subscribers" / "part-00000.parquet", index=False)
    result = clean_raw(raw, tmp_path / "clean", END)
    assert result.tables["recharges"].rows_used == 2 and reconciles(result)
    got = pq.read_table(tmp_path / "clean" / "recharges").to_pandas()
    assert sorted(got["channel"]) == sorted(r.split(",")[3] for r in CSV_ROWS.splitlines())
    kept = pq.read_schema(tmp_path / "clean" / "subscribers" / "part-00000.parquet").names
    assert "msisdn" not in kept
    assert any("extra columns ['msisdn']" in n for n in result.notes)


def test_out_of_order_timestamps_give_the_same_snapshot(tiny_raw, tmp_path):
    """Every table shuffled and split in two parts whose time ranges interleave: the raw and
    the cleaned folder give the snapshot of the ordered data. Sums of floats depend on the
    order they are added in, so those agree to 1e-9 relative; everything else exactly."""
    shuffled_raw = tmp_path / "shuffled"
    for table in (p.name for p in tiny_raw.iterdir() if p.is_dir()):
        arrow = pq.read_table(tiny_raw / table)
        frame = shuffled(arrow.to_pandas())
        half = len(frame) // 2
        for i, part in enumerate((frame.iloc[half:], frame.iloc[:half])):
            part = pa.Table.from_pandas(part, schema=arrow.schema, preserve_index=False)
            write_parquet_atomic(part, shuffled_raw / table / f"p{i}.parquet")
    shutil.copy(tiny_raw / "manifest.json", shuffled_raw / "manifest.json")
    times = pq.read_table(shuffled_raw / "recharges" / "p0.parquet").column("ts").to_pandas()
    assert not times.is_monotonic_increasing
    expected = _ordered(build_snapshot(tiny_raw, TINY_SCORE_AS_OF))
    pd.testing.assert_frame_equal(
        _ordered(build_snapshot(shuffled_raw, TINY_SCORE_AS_OF)), expected, rtol=1e-9
    )
    result = clean_raw(shuffled_raw, tmp_path / "clean")
    assert result.rows_rejected == 0 and result.data_end is not None
    pd.testing.assert_frame_equal(
        _ordered(build_snapshot(tmp_path / "clean", TINY_SCORE_AS_OF)), expected, rtol=1e-9
    )


def _ordered(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.sort_values("subscriber_id").reset_index(drop=True)


def test_gate_refuses_a_bad_folder_and_passes_its_cleaned_copy(tmp_path):
    t = tables()
    t["recharges"][1]["amount_vnd"] = -1
    raw = write(tmp_path / "raw", t)
    with pytest.raises(RawDataError, match=r"(?s)fails validation.*amount_vnd.*retain clean"):
        require_valid(raw, END)
    clean_raw(raw, tmp_path / "clean", END)
    require_valid(tmp_path / "clean")
    # a cleaned folder edited afterwards is no longer trusted, and is validated again
    path = tmp_path / "clean" / "recharges" / "part-00000.parquet"
    bad = pq.read_table(path).to_pandas().assign(amount_vnd=-5)
    bad.to_parquet(path, index=False)
    assert not is_clean(tmp_path / "clean")
    with pytest.raises(RawDataError, match="negative"):
        require_valid(tmp_path / "clean")


def test_command_prints_the_reconciliation_and_exits_2_on_fatal(tmp_path):
    t = tables()
    t["recharges"][1]["amount_vnd"] = -1
    raw = write(tmp_path / "raw", t)
    runner = CliRunner()
    ok = runner.invoke(app, ["clean", "--raw", str(raw), "--out", str(tmp_path / "c"),
                             "--data-end", "2025-03-01"])  # fmt: skip
    assert ok.exit_code == 0, ok.output
    assert "rows in 9 = used 8 + rejected 1" in ok.output
    (raw / "subscribers" / "part-00000.parquet").unlink()
    bad = runner.invoke(app, ["clean", "--raw", str(raw), "--out", str(tmp_path / "c")])
    assert bad.exit_code == 2 and "subscribers: required table missing" in bad.output
    assert (tmp_path / "c" / "clean.json").is_file()  # the previous output is untouched
