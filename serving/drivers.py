"""The churn drivers, declared once: which features make up each driver, grouped by what an
agent can do about it, and the sentence that says it (`serving.phrases`).

A feature belongs to a driver through its measure (its name without aggregate and window:
`data_mb_sum_30d`, `data_mb_trend_30d` -> `data_mb`). Every feature of the vector is either
in one driver or in `CONTEXT`, descriptors nobody can act on that never fill a reason
(`tests/serving/test_reasons.py` checks both).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from serving.language import N_, NN_, Language
from serving.phrases import (
    Row,
    bills,
    care_contacts,
    contract,
    count,
    data_use,
    dropped_calls,
    payments,
    recency,
    retention_offers,
    tariff_plan,
    tenure,
    topups,
    trend,
)

# Descriptors a subscriber cannot change and an agent cannot act on: context, never a reason.
CONTEXT = ("province", "region", "age_band", "device_type", "acquisition_channel", "customer_type")

_WINDOWED = re.compile(r"(_(sum|mean|max|std|trend|slope|change))?_\d+d$")


def measure(feature: str) -> str:
    """The measure a feature belongs to: its name without aggregate and window."""
    return _WINDOWED.sub("", feature)


@dataclass(frozen=True)
class Driver:
    measures: tuple[str, ...]  # the measures whose features make up this driver
    say: Callable[[Language, Row], str]


DRIVERS: dict[str, Driver] = {
    "top-ups": Driver(
        (
            "recharge_count",
            "recharge_gap_days",
            "days_since_last_recharge",
            "recharge_days_count_all",
        ),
        topups,
    ),
    "top-up amounts": Driver(
        ("recharge_vnd", "recharge_small_share", "recharge_vnd_sum_all"),
        trend(N_("top-up amounts"), "recharge_vnd_sum_30d", "recharge_vnd_sum_90d"),
    ),
    "airtime loans": Driver(
        ("airtime_loan_count",),
        count(
            NN_("{n} airtime loan in the last 90 days", "{n} airtime loans in the last 90 days"),
            "airtime_loan_count_90d",
            N_("airtime loans"),
            none=N_("no airtime loan in the last 90 days"),
        ),
    ),
    "recency": Driver(("days_since_last_billable",), recency),
    "spending": Driver(
        ("revenue_vnd", "billable_days"),
        trend(
            N_("spending"), "revenue_vnd_sum_30d", "revenue_vnd_sum_90d", "revenue_vnd_slope_28d"
        ),
    ),
    "data": Driver(("data_mb", "days_since_last_data_session"), data_use),
    "outgoing calls": Driver(
        ("voice_out_calls", "voice_out_min"),
        trend(
            N_("outgoing call minutes"),
            "voice_out_min_sum_30d",
            "voice_out_min_sum_90d",
            "voice_out_min_slope_28d",
        ),
    ),
    "incoming calls": Driver(
        ("voice_in_min",),
        trend(N_("incoming call minutes"), "voice_in_min_sum_30d", "voice_in_min_sum_90d"),
    ),
    "sms": Driver(("sms_out",), trend(N_("SMS sent"), "sms_out_sum_30d", "sms_out_sum_90d")),
    "activity": Driver(
        ("active_days",),
        trend(N_("active days"), "active_days_30d", "active_days_90d", "active_days_slope_28d"),
    ),
    "dropped calls": Driver(("dropped_calls", "dropped_call_rate"), dropped_calls),
    "roaming": Driver(
        ("roaming_days",),
        count(
            NN_(
                "roamed abroad on {n} day in the last 90 days",
                "roamed abroad on {n} days in the last 90 days",
            ),
            "roaming_days_90d",
            N_("roaming"),
            none=N_("no roaming in the last 90 days"),
        ),
    ),
    "bills": Driver(("invoice_count", "invoice_vnd"), bills),
    "payments": Driver(
        ("invoice_late_count", "invoice_unpaid_count", "invoice_days_past_due"), payments
    ),
    "care": Driver(("care_contacts_count", "days_since_last_care_contact"), care_contacts),
    "unresolved care": Driver(
        ("care_unresolved_count",),
        count(
            NN_(
                "{n} care contact left unresolved in the last 90 days",
                "{n} care contacts left unresolved in the last 90 days",
            ),
            "care_unresolved_count_90d",
            N_("care contacts"),
            none=N_("no unresolved care contact in the last 90 days"),
        ),
    ),
    "network complaints": Driver(
        ("care_network_count",),
        count(
            NN_(
                "complained about network quality {n} time in the last 90 days",
                "complained about network quality {n} times in the last 90 days",
            ),
            "care_network_count_90d",
            N_("care contacts"),
            none=N_("no complaint about network quality in the last 90 days"),
        ),
    ),
    "billing complaints": Driver(
        ("care_billing_count",),
        count(
            NN_(
                "called care about billing {n} time in the last 90 days",
                "called care about billing {n} times in the last 90 days",
            ),
            "care_billing_count_90d",
            N_("care contacts"),
            none=N_("no call to care about billing in the last 90 days"),
        ),
    ),
    "package questions": Driver(
        ("care_package_count",),
        count(
            NN_(
                "called care about a package {n} time in the last 90 days",
                "called care about packages {n} times in the last 90 days",
            ),
            "care_package_count_90d",
            N_("care contacts"),
            none=N_("no call to care about packages in the last 90 days"),
        ),
    ),
    "device questions": Driver(
        ("care_device_count",),
        count(
            NN_(
                "called care about the handset {n} time in the last 90 days",
                "called care about the handset {n} times in the last 90 days",
            ),
            "care_device_count_90d",
            N_("care contacts"),
            none=N_("no call to care about the handset in the last 90 days"),
        ),
    ),
    "port-out inquiries": Driver(
        ("care_port_out_inquiry_count",),
        count(
            NN_(
                "asked how to port out {n} time in the last 90 days",
                "asked how to port out {n} times in the last 90 days",
            ),
            "care_port_out_inquiry_count_90d",
            N_("care contacts"),
            none=N_("no port-out inquiry in the last 90 days"),
        ),
    ),
    "plan changes": Driver(
        ("plan_changes_count", "days_since_last_plan_change"),
        count(
            NN_(
                "changed tariff plan {n} time in the last 90 days",
                "changed tariff plan {n} times in the last 90 days",
            ),
            "plan_changes_count_90d",
            N_("plan changes"),
            none=N_("never changed tariff plan"),
            since=(
                "days_since_last_plan_change",
                NN_(
                    "last changed tariff plan {n} day ago", "last changed tariff plan {n} days ago"
                ),
            ),
        ),
    ),
    "packages": Driver(
        ("package_purchases_count", "days_since_last_package_purchase"),
        count(
            NN_(
                "bought {n} package in the last 30 days", "bought {n} packages in the last 30 days"
            ),
            "package_purchases_count_30d",
            N_("package purchases"),
            none=N_("never bought a package"),
            since=(
                "days_since_last_package_purchase",
                NN_("last bought a package {n} day ago", "last bought a package {n} days ago"),
            ),
        ),
    ),
    "suspensions": Driver(
        ("suspensions_count", "reactivations_count"),
        count(
            NN_(
                "line suspended {n} time in the last 90 days",
                "line suspended {n} times in the last 90 days",
            ),
            "suspensions_count_90d",
            N_("suspensions"),
            none=N_("no suspension in the last 90 days"),
        ),
    ),
    "offers": Driver(
        ("offers_received_count", "offers_accepted_count", "days_since_last_offer"),
        retention_offers,
    ),
    "tenure": Driver(("tenure_days", "days_since_first_recharge"), tenure),
    "contract": Driver(("contract_type",), contract),
    "tariff plan": Driver(("tariff_plan",), tariff_plan),
}

_BY_MEASURE = {m: key for key, d in DRIVERS.items() for m in d.measures}


def driver_of(feature: str) -> str | None:
    """The driver a feature belongs to; None for context descriptors (and unknown names)."""
    return _BY_MEASURE.get(measure(feature))
