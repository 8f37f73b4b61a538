"""Snapshot and labels on hand-written tables with literal expected values (DESIGN §4)."""

from datetime import date, timedelta

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from features.definitions import FEATURE_NAMES
from features.snapshot import build_snapshot
from tests.conftest import write_raw

AS_OF = date(2025, 3, 1)


def sub(i, activated, contract="prepaid"):
    return {
        "subscriber_id": i,
        "activation_date": activated,
        "contract_type": contract,
        "tariff_plan": "PRE_BASIC",
        "province": "Ha Noi",
        "region": "north",
        "customer_type": "individual",
        "device_type": "feature",
        "age_band": "25-34",
        "acquisition_channel": "store",
    }


def use(i, day, revenue, data_mb=0.0, voice_min=0.0, calls=0):
    return {
        "subscriber_id": i,
        "date": day,
        "voice_out_calls": calls,
        "voice_out_min": voice_min,
        "voice_in_min": 0.0,
        "sms_out": 0,
        "data_mb": data_mb,
        "roaming": False,
        "revenue_vnd": revenue,
        "dropped_calls": 0,
    }


def event(i, ts, kind, detail=None):
    return {"subscriber_id": i, "ts": ts, "event": kind, "detail": detail}


MICRO = {
    "subscribers": [
        sub(1, "2024-01-01"),
        sub(2, "2024-06-01"),
        sub(3, "2023-01-01", "postpaid"),
        sub(4, "2024-01-01"),
        sub(5, "2024-01-01"),
        sub(6, "2025-02-20"),
        sub(7, "2025-03-05"),
    ],
    "usage_daily": [
        use(1, "2025-01-15", 200),
        use(1, "2025-02-20", 500),
        use(1, "2025-02-27", 1000, data_mb=10.0, voice_min=2.0, calls=1),
        use(1, "2025-03-01", 9999),
        use(1, "2025-05-29", 100),  # on/after as_of: labels only
        use(2, "2025-02-10", 300),
        use(3, "2025-02-28", 5000),
        use(3, "2025-03-10", 7000),
        use(4, "2025-02-10", 300),
        use(5, "2024-12-01", 300),
    ],
    "recharges": [
        {"subscriber_id": 1, "ts": "2025-02-25 10:00", "amount_vnd": 20000, "channel": "e_wallet"},
        {"subscriber_id": 1, "ts": "2025-03-05 10:00", "amount_vnd": 50000, "channel": "e_wallet"},
    ],
    "care_contacts": [
        {
            "subscriber_id": 3,
            "ts": "2025-02-15 09:00",
            "channel": "call_centre",
            "category": "network",
            "resolved": False,
        }
    ],
    "subscription_events": [
        event(1, "2025-02-01 08:00", "plan_change", "PRE_DATA"),
        event(1, "2025-03-02 08:00", "plan_change", "PRE_YOUTH"),
        event(3, "2025-03-15 12:00", "termination", "customer_request"),
        event(4, "2025-02-20 12:00", "termination", "customer_request"),
    ],
}


@pytest.fixture(scope="module")
def micro(tmp_path_factory):
    return write_raw(tmp_path_factory.mktemp("micro"), **MICRO)


@pytest.fixture(scope="module")
def snap(micro):
    return build_snapshot(micro, AS_OF, labels=True).set_index("subscriber_id")


def test_eligibility(snap):
    # 4 terminated before T, 5 silent for 90 days, 7 not yet activated; 6 activated in 30 days.
    assert list(snap.index) == [1, 2, 3, 6]


def test_usage_windows_exclude_as_of(snap):
    s = snap.loc[1]
    assert (s.revenue_vnd_sum_7d, s.revenue_vnd_sum_30d, s.revenue_vnd_sum_90d) == (
        1000,
        1500,
        1700,
    )
    assert (s.active_days_7d, s.active_days_30d, s.active_days_90d) == (1, 2, 3)
    assert (s.data_mb_sum_7d, s.voice_out_min_sum_7d, s.voice_out_calls_sum_90d) == (10.0, 2.0, 1)


def test_recency_recharges_and_plan(snap):
    s = snap.loc[1]
    assert s.days_since_last_billable == 2 and s.days_since_last_recharge == 4
    assert (s.recharge_count_30d, s.recharge_vnd_sum_30d, s.recharge_vnd_mean_90d) == (
        1,
        20000,
        20000,
    )
    assert s.tariff_plan == "PRE_DATA"  # the March change is after as_of
    assert s.tenure_days == 425
    assert snap.loc[6].tenure_days == 9 and pd.isna(snap.loc[6].days_since_last_billable)
    assert snap.loc[2].tariff_plan == "PRE_BASIC" and pd.isna(snap.loc[2].days_since_last_recharge)


def test_care_features(snap):
    s = snap.loc[3]
    assert (s.care_contacts_count_30d, s.care_unresolved_count_90d, s.care_network_count_90d) == (
        1,
        1,
        1,
    )
    assert snap.loc[1].care_contacts_count_90d == 0


def test_labels(snap):
    # 1 active in the window; 2 prepaid and silent; 3 terminated on 15 March; 6 silent.
    assert snap["churned_30d"].to_dict() == {1: 0, 2: 1, 3: 1, 6: 1}
    assert snap["value_vnd_90d"].to_dict() == {1: 10099.0, 2: 0.0, 3: 7000.0, 6: 0.0}


def test_labels_need_covered_window(micro):
    with pytest.raises(ValueError, match=r"usage_daily\.date: data ends 2025-05-29"):
        build_snapshot(micro, date(2025, 3, 2), labels=True)


def test_every_feature_present(snap):
    assert set(FEATURE_NAMES) <= set(snap.columns)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    offset=st.integers(0, 120),
    revenue=st.integers(0, 10**7),
    subscriber=st.sampled_from([1, 2, 3, 6]),
    table=st.sampled_from(["usage_daily", "recharges", "care_contacts", "subscription_events"]),
)
def test_rows_at_or_after_as_of_never_change_features(
    tmp_path_factory, snap, offset, revenue, subscriber, table
):
    day = AS_OF + timedelta(days=offset)
    extra = {k: list(v) for k, v in MICRO.items()}
    row = {
        "usage_daily": use(subscriber, str(day), revenue, data_mb=5.0),
        "recharges": {
            "subscriber_id": subscriber,
            "ts": f"{day} 00:00",
            "amount_vnd": revenue,
            "channel": "e_wallet",
        },
        "care_contacts": {
            "subscriber_id": subscriber,
            "ts": f"{day} 00:00",
            "channel": "app",
            "category": "billing",
            "resolved": False,
        },
        "subscription_events": event(subscriber, f"{day} 00:00", "port_out", "competitor"),
    }[table]
    extra[table].append(row)
    root = write_raw(tmp_path_factory.mktemp("pit"), **extra)
    after = build_snapshot(root, AS_OF).set_index("subscriber_id")[list(FEATURE_NAMES)]
    pd.testing.assert_frame_equal(after, snap[list(FEATURE_NAMES)])
