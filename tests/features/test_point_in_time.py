"""Point-in-time proofs (Hypothesis): events at or after as_of never change a feature, and
labels read only their own windows. Random event tables for a few subscribers, run through
the real snapshot and label queries on DuckDB."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import duckdb
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from features.contract.schema import TABLES
from features.definitions import FEATURE_NAMES
from features.dialect import DUCKDB
from features.families.relationship import RESPONSE_DAYS
from features.labels import labels_sql
from features.query import SnapshotConfig
from features.snapshot import build_snapshot

AS_OF = date(2025, 3, 1)
CONFIG = SnapshotConfig()
IDS = (1, 2, 3, 4)
_TYPES = {"int64": "BIGINT", "float64": "DOUBLE", "string": "VARCHAR", "bool": "BOOLEAN"}
_TYPES |= {"date": "DATE", "timestamp": "TIMESTAMP"}

SUBSCRIBERS = pd.DataFrame(
    {
        "subscriber_id": IDS,
        "activation_date": pd.to_datetime(["2023-05-01", "2024-12-01", "2025-02-20", "2022-01-01"]),
        "contract_type": ["prepaid", "prepaid", "prepaid", "postpaid"],
        "tariff_plan": ["PRE_BASIC", "PRE_DATA", "PRE_YOUTH", "POST_M"],
        "province": "Ha Noi",
        "region": "north",
        "customer_type": "individual",
        "device_type": "smartphone_mid",
        "age_band": "25-34",
        "acquisition_channel": "store",
    }
)


def connection(tables: dict[str, list[dict]]) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB with one view per contract table, cast to the contract's types."""
    con = duckdb.connect()
    for name, table in TABLES.items():
        frame = SUBSCRIBERS if name == "subscribers" else pd.DataFrame(tables.get(name, []))
        frame = frame.reindex(columns=table.names)
        con.register(f"raw_{name}", frame)
        cols = ", ".join(
            f'CAST("{c.name}" AS {_TYPES[c.dtype]}) AS "{c.name}"' for c in table.columns
        )
        con.execute(f"CREATE VIEW {name} AS SELECT {cols} FROM raw_{name}")
    return con


def at(offset: int, hour: int = 10) -> datetime:
    return datetime.combine(AS_OF, datetime.min.time()) + timedelta(days=offset, hours=hour)


subscriber = st.sampled_from(IDS)
money = st.integers(0, 500_000)


@st.composite
def usage(draw, days):
    return {
        "subscriber_id": draw(subscriber),
        "date": (AS_OF + timedelta(days=draw(days))).isoformat(),
        "voice_out_calls": draw(st.integers(0, 30)),
        "voice_out_min": draw(st.floats(0, 300, allow_nan=False)),
        "voice_in_min": draw(st.floats(0, 300, allow_nan=False)),
        "sms_out": draw(st.integers(0, 20)),
        "data_mb": draw(st.floats(0, 5000, allow_nan=False)),
        "roaming": draw(st.booleans()),
        "revenue_vnd": draw(money),
        "dropped_calls": draw(st.integers(0, 3)),
    }


@st.composite
def recharge(draw, days):
    return {
        "subscriber_id": draw(subscriber),
        "ts": at(draw(days), draw(st.integers(0, 23))),
        "amount_vnd": draw(st.sampled_from([10_000, 20_000, 50_000, 100_000])),
        "channel": draw(st.sampled_from(["e_wallet", "scratch_card", "airtime_loan"])),
    }


@st.composite
def invoice(draw, days, paid_days):
    issue = AS_OF + timedelta(days=draw(days))
    paid = draw(st.none() | paid_days)
    return {
        "subscriber_id": 4,
        "bill_month": (issue - timedelta(days=31)).replace(day=1).isoformat(),
        "issue_date": issue.isoformat(),
        "amount_vnd": draw(money),
        "due_date": (issue + timedelta(days=15)).isoformat(),
        "paid_date": None if paid is None else (AS_OF + timedelta(days=paid)).isoformat(),
    }


@st.composite
def care(draw, days):
    return {
        "subscriber_id": draw(subscriber),
        "ts": at(draw(days)),
        "channel": "app",
        "category": draw(st.sampled_from(["network", "billing", "port_out_inquiry"])),
        "resolved": draw(st.booleans()),
    }


@st.composite
def lifecycle(draw, days):
    kind = draw(st.sampled_from(["plan_change", "package_purchase", "suspension", "port_out"]))
    return {
        "subscriber_id": draw(subscriber),
        "ts": at(draw(days), draw(st.integers(0, 23))),
        "event": kind,
        "detail": draw(st.sampled_from(["PRE_DATA", "PRE_YOUTH"])),
    }


@st.composite
def offer(draw, days):
    return {
        "subscriber_id": draw(subscriber),
        "campaign_id": f"C{draw(st.integers(0, 9))}",
        "sent_ts": at(draw(days)),
        "offer_id": "BONUS_20",
        "group": draw(st.sampled_from(["treatment", "control"])),
        "accepted": draw(st.booleans()),
        "cost_vnd": 20_000,
    }


def tables(days, paid_days=st.integers(-120, -1), n=8):
    return st.fixed_dictionaries(
        {
            "usage_daily": st.lists(usage(days), max_size=n),
            "recharges": st.lists(recharge(days), max_size=n),
            "invoices": st.lists(invoice(days, paid_days), max_size=3),
            "care_contacts": st.lists(care(days), max_size=3),
            "subscription_events": st.lists(lifecycle(days), max_size=3),
            "campaigns": st.lists(offer(days), max_size=3),
        }
    )


def features(tabs: dict[str, list[dict]]) -> pd.DataFrame:
    snap = build_snapshot(connection(tabs), AS_OF, CONFIG)
    return snap.set_index("subscriber_id")[list(FEATURE_NAMES)]


def merged(a: dict, b: dict) -> dict:
    return {k: a.get(k, []) + b.get(k, []) for k in set(a) | set(b)}


def unknown_at_as_of(past: dict) -> dict:
    """The past as known at as_of: payments made later are not yet made, and acceptance of
    offers whose response window is still open is not yet known."""
    invoices = [
        r | {"paid_date": None}
        if r["paid_date"] is not None and r["paid_date"] >= AS_OF.isoformat()
        else r
        for r in past["invoices"]
    ]
    offers = [
        r | {"accepted": False} if r["sent_ts"] >= at(-RESPONSE_DAYS, 0) else r
        for r in past["campaigns"]
    ]
    return past | {"invoices": invoices, "campaigns": offers}


@settings(max_examples=25, deadline=None)
@given(
    past=tables(st.integers(-120, -1), paid_days=st.integers(-120, 40)),
    future=tables(st.integers(0, 60)),
)
def test_events_at_or_after_as_of_never_change_a_feature(past, future):
    known = features(unknown_at_as_of(past))
    pd.testing.assert_frame_equal(features(merged(past, future)), known)


def labels(tabs: dict) -> pd.DataFrame:
    return (
        connection(tabs)
        .execute(labels_sql(AS_OF, CONFIG, DUCKDB))
        .df()
        .set_index("subscriber_id")
        .sort_index()
    )


@settings(max_examples=25, deadline=None)
@given(
    inside=tables(st.integers(0, CONFIG.value_horizon_days - 1)),
    outside=tables(
        st.integers(-120, -1) | st.integers(CONFIG.value_horizon_days, 150),
        paid_days=st.integers(-120, 150),
    ),
    between=tables(st.integers(CONFIG.churn_horizon_days, CONFIG.value_horizon_days - 1)),
)
def test_labels_read_only_their_windows(inside, outside, between):
    base = labels(inside)
    pd.testing.assert_frame_equal(labels(merged(inside, outside)), base)
    with_between = labels(merged(inside, between))
    pd.testing.assert_series_equal(with_between[CONFIG.churn_label], base[CONFIG.churn_label])
