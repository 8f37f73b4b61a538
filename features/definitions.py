"""Feature definitions, declared once: name, source table, SQL aggregate, description.

Each feature is an aggregate over one raw table's rows strictly before `as_of` (the builder
adds that filter; definitions never see later rows). Names read `{measure}_{agg}_{window}d`.
`{t}` in an expression is the as-of date literal. The feature schema version is a hash of
these definitions, so any change to a name, a type or an expression changes the version,
and serving refuses models trained on another version.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

WINDOWS = (7, 30, 90)
LOOKBACK_DAYS = 90


@dataclass(frozen=True)
class Feature:
    name: str
    table: str  # raw table the aggregate reads, or "subscribers" for attributes
    sql: str  # aggregate expression over the table's rows before as_of
    description: str
    kind: str = "numeric"  # numeric | categorical
    fill: float | None = 0.0  # value when the subscriber has no rows (None keeps null)


def _in_window(time_col: str, days: int) -> str:
    return f"{time_col} >= DATE '{{t}}' - INTERVAL {days} DAY"


def _usage() -> list[Feature]:
    measures = {
        "voice_out_calls": "outgoing calls",
        "voice_out_min": "outgoing call minutes",
        "voice_in_min": "incoming call minutes",
        "sms_out": "SMS sent",
        "data_mb": "mobile data, MB",
        "revenue_vnd": "charged revenue, VND",
        "dropped_calls": "calls dropped by the network",
    }
    out = []
    for w in WINDOWS:
        cond = _in_window("date", w)
        for m, text in measures.items():
            out.append(
                Feature(
                    f"{m}_sum_{w}d",
                    "usage_daily",
                    f"sum(CASE WHEN {cond} THEN {m} ELSE 0 END)",
                    f"Total {text} in the {w} days before as_of",
                )
            )
        out.append(
            Feature(
                f"active_days_{w}d",
                "usage_daily",
                f"count(CASE WHEN {cond} THEN 1 END)",
                f"Days with any usage in the {w} days before as_of",
            )
        )
    return out


def _recharges() -> list[Feature]:
    out = []
    for w in (30, 90):
        cond = _in_window("ts", w)
        out += [
            Feature(
                f"recharge_count_{w}d",
                "recharges",
                f"count(CASE WHEN {cond} THEN 1 END)",
                f"Top-ups in the {w} days before as_of",
            ),
            Feature(
                f"recharge_vnd_sum_{w}d",
                "recharges",
                f"sum(CASE WHEN {cond} THEN amount_vnd ELSE 0 END)",
                f"Top-up amount in the {w} days before as_of, VND",
            ),
        ]
    cond = _in_window("ts", 90)
    out += [
        Feature(
            "recharge_vnd_mean_90d",
            "recharges",
            f"avg(CASE WHEN {cond} THEN amount_vnd END)",
            "Mean top-up amount over 90 days, VND (null without top-ups)",
            fill=None,
        ),
        Feature(
            "recharge_vnd_max_90d",
            "recharges",
            f"max(CASE WHEN {cond} THEN amount_vnd END)",
            "Largest top-up over 90 days, VND (null without top-ups)",
            fill=None,
        ),
    ]
    return out


def _care() -> list[Feature]:
    out = []
    for w in (30, 90):
        cond = _in_window("ts", w)
        out.append(
            Feature(
                f"care_contacts_count_{w}d",
                "care_contacts",
                f"count(CASE WHEN {cond} THEN 1 END)",
                f"Customer-care contacts in the {w} days before as_of",
            )
        )
    cond = _in_window("ts", 90)
    out += [
        Feature(
            "care_unresolved_count_90d",
            "care_contacts",
            f"count(CASE WHEN {cond} AND NOT resolved THEN 1 END)",
            "Care contacts not resolved at first contact, 90 days",
        ),
        Feature(
            "care_network_count_90d",
            "care_contacts",
            f"count(CASE WHEN {cond} AND category = 'network' THEN 1 END)",
            "Care contacts about network quality, 90 days",
        ),
        Feature(
            "care_port_out_inquiry_count_90d",
            "care_contacts",
            f"count(CASE WHEN {cond} AND category = 'port_out_inquiry' THEN 1 END)",
            "Care contacts asking how to port out, 90 days",
        ),
    ]
    return out


ATTRIBUTES = (
    "contract_type",
    "province",
    "region",
    "customer_type",
    "device_type",
    "age_band",
    "acquisition_channel",
)


def _attributes() -> list[Feature]:
    out = [
        Feature(a, "subscribers", a, f"Subscriber attribute {a}", "categorical", None)
        for a in ATTRIBUTES
    ]
    out.append(
        Feature(
            "tenure_days", "subscribers", "DATE '{t}' - activation_date", "Days since activation"
        )
    )
    return out


RECENCY: tuple[Feature, ...] = (
    Feature(
        "days_since_last_billable",
        "activity",
        "DATE '{t}' - max(day)",
        "Days since the last charged usage or top-up (null if none ever)",
        fill=None,
    ),
    Feature(
        "days_since_last_recharge",
        "activity",
        "DATE '{t}' - max(CASE WHEN is_recharge THEN day END)",
        "Days since the last top-up (null if none ever)",
        fill=None,
    ),
)

LIFECYCLE: tuple[Feature, ...] = (
    Feature(
        "tariff_plan", "plan", "tariff_plan", "Tariff plan in force at as_of", "categorical", None
    ),
    Feature(
        "plan_changes_count_90d",
        "subscription_events",
        f"count(CASE WHEN {_in_window('ts', 90)} AND event = 'plan_change' THEN 1 END)",
        "Plan changes in the 90 days before as_of",
    ),
    Feature(
        "package_purchases_count_30d",
        "subscription_events",
        f"count(CASE WHEN {_in_window('ts', 30)} AND event = 'package_purchase' THEN 1 END)",
        "Package purchases in the 30 days before as_of",
    ),
)

FEATURES: tuple[Feature, ...] = tuple(
    _attributes() + _usage() + _recharges() + _care() + list(RECENCY) + list(LIFECYCLE)
)
FEATURE_NAMES: tuple[str, ...] = tuple(f.name for f in FEATURES)
CATEGORICAL: tuple[str, ...] = tuple(f.name for f in FEATURES if f.kind == "categorical")
NUMERIC: tuple[str, ...] = tuple(f.name for f in FEATURES if f.kind == "numeric")

LABEL_CHURN = "churned_30d"
LABEL_VALUE = "value_vnd_90d"


def feature_schema_version() -> str:
    """A short hash of every definition; equal versions mean identical feature vectors."""
    text = "\n".join(f"{f.name}|{f.table}|{f.kind}|{f.sql}|{f.fill}" for f in FEATURES)
    return "fs-" + hashlib.sha256(text.encode()).hexdigest()[:12]
