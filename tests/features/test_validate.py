"""`retain validate` on deliberately broken micro folders: one test per kind of problem."""

from __future__ import annotations

import json

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from typer.testing import CliRunner

from features.cli import app
from features.contract.validate import validate_raw
from tests.conftest import write_raw
from tests.micro_extract import END, RECHARGES, SUBSCRIBERS, USAGE

CAMPAIGNS = [
    dict(subscriber_id=1, campaign_id="RET-202502", sent_ts="2025-02-01 09:00:00",
         offer_id="DATA_BONUS", group="treatment", accepted=True, cost_vnd=15_000),
    dict(subscriber_id=2, campaign_id="RET-202502", sent_ts="2025-02-01 09:00:00",
         offer_id="DATA_BONUS", group="control", accepted=False, cost_vnd=0),
]  # fmt: skip


def folder(tmp_path, **override):
    tables = dict(subscribers=SUBSCRIBERS, recharges=RECHARGES, usage_daily=USAGE,
                  campaigns=CAMPAIGNS) | override  # fmt: skip
    return write_raw(tmp_path / "raw", **{k: [dict(r) for r in v] for k, v in tables.items()})


def only(report, check):
    found = [p for p in report.problems if p.check == check]
    assert len(found) == 1, report.render()
    return found[0]


def test_a_clean_folder_has_no_problems(tmp_path):
    report = validate_raw(folder(tmp_path), END)
    assert report.problems == ()
    assert report.rows["recharges"] == 3 and not report.fatal


def test_missing_required_table(tmp_path):
    root = folder(tmp_path)
    for f in (root / "recharges").iterdir():
        f.unlink()
    p = only(validate_raw(root, END), "missing_table")
    assert (p.table, p.fatal) == ("recharges", True)


def test_missing_column(tmp_path):
    root = folder(tmp_path)
    path = root / "recharges" / "part-00000.parquet"
    pq.write_table(pq.read_table(path).drop(["amount_vnd"]), path)
    p = only(validate_raw(root, END), "missing_column")
    assert (p.table, p.column, p.count, p.examples) == (
        "recharges", "amount_vnd", 1, ("part-00000.parquet",))  # fmt: skip


def test_mistyped_column(tmp_path):
    root = folder(tmp_path)
    path = root / "recharges" / "part-00001.parquet"
    frame = pd.DataFrame(RECHARGES[:1]).assign(amount_vnd="20000", ts=pd.Timestamp("2025-01-07"))
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), path)
    p = only(validate_raw(root, END), "wrong_type")
    assert (p.column, p.message) == ("amount_vnd", "expected int64")
    assert p.examples == ("part-00001.parquet: large_string",)


def test_unreadable_file(tmp_path):
    root = folder(tmp_path)
    (root / "campaigns" / "part-00001.parquet").write_bytes(b"not parquet at all")
    p = only(validate_raw(root, END), "unreadable_file")
    assert p.table == "campaigns" and p.message.startswith("part-00001.parquet:")


def test_null_in_a_non_nullable_column(tmp_path):
    root = folder(tmp_path)
    path = root / "recharges" / "part-00000.parquet"
    t = pq.read_table(path)
    amounts = pa.array([20_000, None, 10_000], pa.int64())
    pq.write_table(
        t.set_column(t.schema.get_field_index("amount_vnd"), "amount_vnd", amounts), path
    )
    p = only(validate_raw(root, END), "null")
    assert (p.column, p.count, p.examples) == (
        "amount_vnd", 1, ("subscriber_id=1, ts=2025-02-05 10:00:00, amount_vnd=None, "
                          "channel=e_wallet, topup_id=None",))  # fmt: skip


def test_value_outside_the_allowed_set(tmp_path):
    subs = [dict(s) for s in SUBSCRIBERS]
    subs[2]["contract_type"] = "hybrid"
    p = only(validate_raw(folder(tmp_path, subscribers=subs), END), "not_allowed")
    assert (p.column, p.examples) == ("contract_type", ("subscriber_id=3, contract_type=hybrid",))


def test_duplicate_keys(tmp_path):
    root = folder(tmp_path, recharges=RECHARGES + RECHARGES[:1])
    p = only(validate_raw(root, END), "duplicate_key")
    assert (p.table, p.count) == ("recharges", 1)
    # a recharge's key is the whole row: only identical rows are copies
    assert p.examples == ("subscriber_id=1, ts=2025-01-05 10:00:00, amount_vnd=20000, "
                          "channel=scratch_card, topup_id=None, copies=2",)  # fmt: skip


def test_negative_amounts(tmp_path):
    bad = [dict(r) for r in RECHARGES]
    bad[1]["amount_vnd"] = -50_000
    p = only(validate_raw(folder(tmp_path, recharges=bad), END), "negative")
    assert (p.column, p.message, p.count) == ("amount_vnd", "negative VND", 1)


def test_events_before_activation_are_a_warning(tmp_path):
    bad = [dict(r) for r in RECHARGES]
    bad[2]["ts"] = "2024-05-31 23:00:00"
    report = validate_raw(folder(tmp_path, recharges=bad), END)
    p = only(report, "before_activation")
    assert (p.table, p.count, p.fatal, report.fatal) == ("recharges", 1, False, False)
    assert p.examples == ("subscriber_id=2, ts=2024-05-31 23:00:00, activation_date=2024-06-01",)


def test_timestamps_after_the_data_end(tmp_path):
    bad = [dict(r) for r in USAGE]
    bad[2]["date"] = "2025-03-01"
    p = only(validate_raw(folder(tmp_path, usage_daily=bad), END), "after_data_end")
    assert (p.table, p.column, p.count) == ("usage_daily", "date", 1)
    assert p.message == "at or after the data end 2025-03-01"


def test_the_data_end_comes_from_the_manifest_or_is_noted(tmp_path):
    bad = [dict(r) for r in USAGE]
    bad[2]["date"] = "2025-03-01"
    root = folder(tmp_path, usage_daily=bad)
    report = validate_raw(root)
    assert report.problems == () and "future timestamps not checked" in report.notes[0]
    (root / "manifest.json").write_text(json.dumps({"data_end": "2025-03-01"}))
    assert only(validate_raw(root), "after_data_end").count == 1


def test_unknown_subscribers(tmp_path):
    bad = [dict(r) for r in RECHARGES] + [
        dict(subscriber_id=99, ts="2025-01-09 08:00:00", amount_vnd=20_000, channel="bank_app")
    ]
    p = only(validate_raw(folder(tmp_path, recharges=bad), END), "unknown_subscriber")
    assert (p.table, p.count, p.examples) == ("recharges", 1, ("subscriber_id=99",))


def test_accepted_offers_in_a_control_group_are_a_warning(tmp_path):
    bad = [dict(r) for r in CAMPAIGNS]
    bad[1]["accepted"] = True
    p = only(validate_raw(folder(tmp_path, campaigns=bad), END), "accepted_in_control")
    assert not p.fatal


def test_every_problem_is_reported_at_once(tmp_path):
    bad = [dict(r) for r in RECHARGES] + [dict(RECHARGES[0]), dict(subscriber_id=7,
           ts="2025-04-01 00:00:00", amount_vnd=-1, channel="bank_app")]  # fmt: skip
    report = validate_raw(folder(tmp_path, recharges=bad), END)
    assert report.checks() == {"duplicate_key", "negative", "unknown_subscriber", "after_data_end"}


def test_the_command_exits_non_zero_on_fatal_problems_and_writes_a_report(tmp_path):
    root = folder(tmp_path, recharges=RECHARGES + RECHARGES[:1])
    runner = CliRunner()
    ok = runner.invoke(app, ["validate", "--raw", str(folder(tmp_path / "ok")), "--data-end",
                             "2025-03-01"])  # fmt: skip
    assert ok.exit_code == 0 and "valid:" in ok.output
    out = tmp_path / "report.json"
    bad = runner.invoke(app, ["validate", "--raw", str(root), "--data-end", "2025-03-01",
                              "--report", str(out)])  # fmt: skip
    assert bad.exit_code == 1
    assert "FATAL   recharges: duplicate_key" in bad.output
    saved = json.loads(out.read_text())
    assert saved["fatal"] is True and saved["problems"][0]["check"] == "duplicate_key"


def test_a_missing_folder_is_fatal(tmp_path):
    report = validate_raw(tmp_path / "nowhere", END)
    assert report.checks() == {"missing_folder"} and report.fatal
