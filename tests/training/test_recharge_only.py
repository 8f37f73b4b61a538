"""A recharge-only operator is first class: `subscribers` needs only an id and an activation
date, several top-ups at one time are legal, and only rows identical in every column are
duplicates (issue #16's friction points, each a test)."""

from datetime import date
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from features.contract.clean import clean_raw
from features.contract.validate import validate_raw
from features.snapshot import build_snapshot

END = date(2025, 7, 1)


def _write(root: Path, name: str, frame: pd.DataFrame) -> None:
    (root / name).mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), root / name / "p.parquet")


def recharge_only(root: Path, recharges: list[tuple]) -> Path:
    """Two tables, the fewest columns: subscribers (id, activation) and recharges (id, ts,
    amount[, topup_id])."""
    _write(root, "subscribers", pd.DataFrame({
        "subscriber_id": [1, 2, 3],
        "activation_date": pd.to_datetime(["2025-01-02"] * 3).date,
    }))  # fmt: skip
    cols = ["subscriber_id", "ts", "amount_vnd", "topup_id"][: len(recharges[0])]
    frame = pd.DataFrame(recharges, columns=cols)
    frame["ts"] = pd.to_datetime(frame["ts"])
    _write(root, "recharges", frame)
    (root / "manifest.json").write_text(f'{{"data_end": "{END}"}}')
    return root


def test_two_columns_of_subscribers_are_enough(tmp_path):
    raw = recharge_only(tmp_path / "raw", [(1, "2025-02-01", 50_000), (2, "2025-03-01", 20_000)])
    report = validate_raw(raw)
    assert not report.fatal, report.render()
    result = clean_raw(raw, tmp_path / "clean")
    assert result.rows_rejected == 0
    snap = build_snapshot(tmp_path / "clean", date(2025, 3, 15))
    assert set(snap["subscriber_id"]) == {2}  # active in the 30 days before T
    for column in ("contract_type", "region", "customer_type", "device_type", "tariff_plan"):
        assert snap[column].isna().all(), column
    # and straight from the raw folder (validate passes, so train and score may read it)
    assert build_snapshot(raw, date(2025, 3, 15))["region"].isna().all()


def test_several_top_ups_at_one_time_are_legal_and_only_identical_rows_are_copies(tmp_path):
    raw = recharge_only(tmp_path / "raw", [
        (1, "2025-02-01", 50_000),
        (1, "2025-02-01", 20_000),  # same day, another amount: a second purchase
        (2, "2025-03-01", 20_000),
        (2, "2025-03-01", 20_000),  # identical in every column: a copy
    ])  # fmt: skip
    report = validate_raw(raw)
    dups = [p for p in report.problems if p.check == "duplicate_key"]
    assert len(dups) == 1 and dups[0].count == 1 and "subscriber_id=2" in dups[0].examples[0]
    result = clean_raw(raw, tmp_path / "clean")
    counts = result.tables["recharges"]
    assert (counts.rows_used, counts.rows_rejected) == (3, 1)
    assert counts.reasons == {"duplicate_key: copy of an earlier row": 1}


def test_a_top_up_id_keeps_genuine_repeats_of_one_amount(tmp_path):
    raw = recharge_only(tmp_path / "raw", [
        (1, "2025-02-01", 20_000, "1"),
        (1, "2025-02-01", 20_000, "2"),
        (2, "2025-03-01", 20_000, "1"),
    ])  # fmt: skip
    assert "duplicate_key" not in validate_raw(raw).checks()
    assert clean_raw(raw, tmp_path / "clean").rows_rejected == 0
    snap = build_snapshot(tmp_path / "clean", date(2025, 2, 15))
    one = snap.set_index("subscriber_id").loc[1]
    assert one["recharge_count_90d"] == 2 and one["recharge_vnd_sum_90d"] == 40_000


def test_a_subscriber_without_contract_type_churns_by_silence(tmp_path):
    raw = recharge_only(tmp_path / "raw", [
        (1, "2025-02-01", 50_000), (1, "2025-03-20", 50_000),
        (2, "2025-02-20", 20_000),
        (3, "2025-06-15", 10_000),  # the data reach the end of the 90-day value window
    ])  # fmt: skip
    snap = build_snapshot(raw, date(2025, 3, 1), labels=True).set_index("subscriber_id")
    assert snap.loc[1, "churned_30d"] == 0  # topped up in [T, T + 30d)
    assert snap.loc[2, "churned_30d"] == 1  # silent: a prepaid line gone
    assert snap.loc[1, "value_vnd_90d"] == 50_000
