"""Drift: PSI against literal values, a planted shift caught, an unshifted snapshot quiet."""

from datetime import date

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from features.cli import app
from features.drift import DriftThresholds, drift_table, psi_categorical, psi_numeric
from features.snapshot import build_snapshot


def test_psi_literal_for_two_categories():
    ref = pd.Series(["a"] * 50 + ["b"] * 50)
    cur = pd.Series(["a"] * 80 + ["b"] * 20)
    expected = (0.8 - 0.5) * np.log(0.8 / 0.5) + (0.2 - 0.5) * np.log(0.2 / 0.5)
    assert psi_categorical(ref, cur) == pytest.approx(expected)


def test_same_distribution_is_near_zero_and_shift_is_large():
    rng = np.random.default_rng(0)
    ref = pd.Series(rng.lognormal(10, 1, 20_000))
    assert psi_numeric(ref, pd.Series(rng.lognormal(10, 1, 20_000))) < 0.01
    assert psi_numeric(ref, pd.Series(rng.lognormal(10.5, 1, 20_000))) > 0.2


def test_missing_values_are_their_own_bin():
    ref = pd.Series([1.0, 2.0, 3.0, 4.0] * 100)
    cur = ref.copy()
    cur[:200] = np.nan
    assert psi_numeric(ref, cur) > 0.25


@pytest.fixture(scope="module")
def snapshots(tiny_raw, tmp_path_factory):
    folder = tmp_path_factory.mktemp("drift")
    a = build_snapshot(tiny_raw, date(2025, 6, 1))
    b = build_snapshot(tiny_raw, date(2025, 7, 1))
    shifted = b.copy()
    shifted["data_mb_sum_30d"] *= 10  # a unit error upstream: data counted ten times over
    moderate = b.copy()
    moderate["data_mb_sum_30d"] *= 3  # a real but moderate shift: worth a look, not an alarm
    shifted["contract_type"] = "postpaid"
    for name, frame in (("a", a), ("b", b), ("shifted", shifted), ("moderate", moderate)):
        frame.to_parquet(folder / f"{name}.parquet")
    return folder


def test_planted_shift_is_flagged_and_unshifted_month_is_quiet(snapshots):
    a, b = pd.read_parquet(snapshots / "a.parquet"), pd.read_parquet(snapshots / "shifted.parquet")
    table = drift_table(
        a, b, ["data_mb_sum_30d", "contract_type", "tenure_days"], DriftThresholds()
    )
    status = dict(zip(table.column, table.status, strict=True))
    assert status["data_mb_sum_30d"] == "breach" and status["contract_type"] == "breach"
    assert status["tenure_days"] == "ok"
    moderate = drift_table(a, pd.read_parquet(snapshots / "moderate.parquet"), ["data_mb_sum_30d"])
    assert moderate.status.tolist() == ["warn"]


def test_command_exit_codes(snapshots, tmp_path):
    runner = CliRunner()
    quiet = runner.invoke(
        app,
        [
            "drift",
            "--reference",
            str(snapshots / "a.parquet"),
            "--current",
            str(snapshots / "b.parquet"),
            "--out",
            str(tmp_path / "t.csv"),
        ],
    )
    assert quiet.exit_code == 0, quiet.output
    assert "0 breach" in quiet.output and (tmp_path / "t.csv").exists()
    loud = runner.invoke(
        app,
        [
            "drift",
            "--reference",
            str(snapshots / "a.parquet"),
            "--current",
            str(snapshots / "shifted.parquet"),
        ],
    )
    assert loud.exit_code == 1
    assert "data_mb_sum_30d" in loud.output and "breach" in loud.output


def test_missing_column_is_named():
    with pytest.raises(KeyError, match="columns missing from reference or current: \\['x'\\]"):
        drift_table(pd.DataFrame({"y": [1]}), pd.DataFrame({"y": [1]}), ["x"])


def test_recency_over_the_whole_history_is_compared_within_the_lookback():
    """Days since the last care contact (null if none ever) grow with the operator's history:
    April and September of the tiny operator differ on the raw values, not once censored at
    90 days. A unit error (hours for days) and a feed that stops still breach."""
    from features.drift import CALENDAR_RELATIVE, comparable

    assert "days_since_last_care_contact" in CALENDAR_RELATIVE
    assert "days_since_last_offer" in CALENDAR_RELATIVE
    assert comparable("days_since_last_offer", pd.Series([1.0, 89.0, 400.0, None])).tolist() == [
        1.0,
        89.0,
        90.0,
        90.0,
    ]
    assert comparable("tenure_days", pd.Series([400.0])).tolist() == [400.0]


@pytest.fixture(scope="module")
def early_and_late(tiny_raw):
    return build_snapshot(tiny_raw, date(2025, 4, 1)), build_snapshot(tiny_raw, date(2025, 10, 1))


def test_calendar_relative_features_are_quiet_on_a_longer_history(early_and_late):
    early, late = early_and_late
    cols = sorted(CALENDAR_RELATIVE_COLUMNS)
    raw = {c: psi_numeric(early[c], late[c]) for c in cols}
    table = drift_table(early, late, cols)
    assert max(raw.values()) > 0.25, raw  # the raw values do move with the calendar
    assert (table.status != "breach").all(), table


def test_calendar_relative_features_still_catch_a_broken_feed(early_and_late):
    early, late = early_and_late
    hours = late.assign(days_since_last_recharge=late["days_since_last_recharge"] * 24)
    stopped = late.assign(days_since_last_billable=np.nan)
    assert drift_table(early, hours, ["days_since_last_recharge"]).status.tolist() == ["breach"]
    assert drift_table(early, stopped, ["days_since_last_billable"]).status.tolist() == ["breach"]


CALENDAR_RELATIVE_COLUMNS = (
    "days_since_last_recharge",
    "days_since_last_billable",
    "days_since_last_care_contact",
    "days_since_last_plan_change",
    "days_since_last_package_purchase",
    "days_since_last_offer",
)


def test_whole_history_totals_are_compared_per_30_days_of_history(monkeypatch):
    """A total over the whole history grows with it; per 30 days of the subscriber's history
    it does not, and ten times the amount still shows."""
    from features import drift

    monkeypatch.setitem(drift.WHOLE_HISTORY, "total_all", "days_since_first")
    rng = np.random.default_rng(0)
    rate = rng.lognormal(10, 1, 5000)

    def frame(history_days):
        days = rng.uniform(1, history_days, 5000)
        return pd.DataFrame({"total_all": rate * days / 30, "days_since_first": days})

    early, late = frame(120), frame(365)
    assert psi_numeric(early["total_all"], late["total_all"]) > 0.25
    assert drift_table(early, late, ["total_all"]).status.tolist() == ["ok"]
    tenfold = late.assign(total_all=late["total_all"] * 10)
    assert drift_table(early, tenfold, ["total_all"]).status.tolist() == ["breach"]
