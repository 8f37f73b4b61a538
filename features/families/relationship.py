"""Relationship families: subscriber attributes, lifecycle events, care contacts, campaigns.

These tables are small next to usage, so each source is the table's whole history before T
and every window is a CASE over it; recency features need that whole history anyway.

Campaign acceptance carries no time of its own in the contract, so an offer's `accepted`
flag is only read once its response window (`RESPONSE_DAYS`) has closed before T: an
offer sent the day before T must not reveal that it will be accepted tomorrow.
"""

from __future__ import annotations

from features.contract.schema import CARE_CATEGORIES, SUBSCRIBERS
from features.families.feature import Feature, Source, aggregate, derived, hidden

CARE = "care_contacts"
EVENTS = "subscription_events"
CAMPAIGNS = "campaigns"
RESPONSE_DAYS = 14
ATTRIBUTES = (
    "contract_type",
    "province",
    "region",
    "customer_type",
    "device_type",
    "age_band",
    "acquisition_channel",
)

SOURCES = (
    Source(CARE, "SELECT * FROM care_contacts WHERE ts < {t}", "care contacts before T"),
    Source(EVENTS, "SELECT * FROM subscription_events WHERE ts < {t}", "lifecycle events"),
    Source(CAMPAIGNS, "SELECT * FROM campaigns WHERE sent_ts < {t}", "offers sent before T"),
)


def _count(name: str, table: str, cond: str, description: str) -> Feature:
    return aggregate(name, table, f"count(CASE WHEN {cond} THEN 1 END)", description)


def attribute_features() -> list[Feature]:
    out = [
        Feature(
            a,
            "subscribers",
            a,
            f"{SUBSCRIBERS.column(a).description} (subscriber attribute)",
            "categorical",
            None,
            "attribute",
        )
        for a in ATTRIBUTES
    ]
    out += [
        Feature(
            "tenure_days",
            "subscribers",
            "{days:activation_date}",
            "Days since activation",
            step="attribute",
        ),
        Feature(
            "tariff_plan",
            "subscribers",
            "coalesce(_latest_plan, _plan_on_record)",
            "Tariff plan in force at as_of",
            "categorical",
            None,
            "derived",
        ),
    ]
    return out


def care_features() -> list[Feature]:
    out = [
        _count(
            f"care_contacts_count_{w}d",
            CARE,
            f"ts >= {{lo:{w}}}",
            f"Customer-care contacts in the {w} days before as_of",
        )
        for w in (7, 30, 90)
    ]
    out += [
        _count(
            f"care_unresolved_count_{w}d",
            CARE,
            f"ts >= {{lo:{w}}} AND NOT resolved",
            f"Care contacts not resolved at first contact, {w} days",
        )
        for w in (30, 90)
    ]
    text = {"port_out_inquiry": "asking how to port out", "network": "about network quality"}
    out += [
        _count(
            f"care_{c}_count_90d",
            CARE,
            f"ts >= {{lo:90}} AND category = '{c}'",
            f"Care contacts {text.get(c, 'about ' + c)}, 90 days",
        )
        for c in CARE_CATEGORIES
        if c != "other"
    ]
    out.append(
        derived(
            "days_since_last_care_contact",
            CARE,
            "{days:_last_care_ts}",
            "Days since the last care contact (null if none ever)",
            fill=None,
        )
    )
    return out


def lifecycle_features() -> list[Feature]:
    def ev(kind: str, w: int) -> str:
        return f"ts >= {{lo:{w}}} AND event = '{kind}'"

    return [
        _count(
            "plan_changes_count_90d",
            EVENTS,
            ev("plan_change", 90),
            "Plan changes in the 90 days before as_of",
        ),
        _count(
            "plan_changes_count_365d",
            EVENTS,
            ev("plan_change", 365),
            "Plan changes in the 365 days before as_of",
        ),
        _count(
            "package_purchases_count_30d",
            EVENTS,
            ev("package_purchase", 30),
            "Package purchases in the 30 days before as_of",
        ),
        _count(
            "package_purchases_count_90d",
            EVENTS,
            ev("package_purchase", 90),
            "Package purchases in the 90 days before as_of",
        ),
        _count(
            "suspensions_count_90d",
            EVENTS,
            ev("suspension", 90),
            "Suspensions (barred for non-payment, loss, ...) in the 90 days before as_of",
        ),
        _count(
            "reactivations_count_365d",
            EVENTS,
            ev("reactivation", 365),
            "Reactivations after a suspension in the 365 days before as_of",
        ),
        derived(
            "days_since_last_plan_change",
            EVENTS,
            "{days:_last_plan_change_ts}",
            "Days since the last plan change (null if none ever)",
            fill=None,
        ),
        derived(
            "days_since_last_package_purchase",
            EVENTS,
            "{days:_last_package_ts}",
            "Days since the last package purchase (null if none ever)",
            fill=None,
        ),
    ]


def campaign_features() -> list[Feature]:
    sent = "{q:group} = 'treatment'"
    closed = f"sent_ts < {{lo:{RESPONSE_DAYS}}}"
    out = []
    for w in (90, 365):
        out += [
            _count(
                f"offers_received_count_{w}d",
                CAMPAIGNS,
                f"{sent} AND sent_ts >= {{lo:{w}}}",
                f"Retention offers received in the {w} days before as_of",
            ),
            _count(
                f"offers_accepted_count_{w}d",
                CAMPAIGNS,
                f"{sent} AND accepted AND {closed} AND sent_ts >= {{lo:{w}}}",
                f"Offers of the {w} days accepted (response window of {RESPONSE_DAYS} days "
                "closed before as_of)",
            ),
        ]
    out.append(
        derived(
            "days_since_last_offer",
            CAMPAIGNS,
            "{days:_last_offer_ts}",
            "Days since the last retention offer received (null if none ever)",
            fill=None,
        )
    )
    return out


def intermediates() -> list[Feature]:
    def last(kind: str, what: str = "ts") -> str:
        return f"CASE WHEN event = '{kind}' THEN {what} END"

    return [
        Feature(
            "_plan_on_record",
            "subscribers",
            "tariff_plan",
            "intermediate",
            "categorical",
            None,
            "attribute",
        ),
        hidden(
            "_latest_plan",
            EVENTS,
            f"max_by({last('plan_change', 'detail')}, {last('plan_change')})",
            "categorical",
        ),
        hidden("_last_plan_change_ts", EVENTS, f"max({last('plan_change')})", "date"),
        hidden("_last_package_ts", EVENTS, f"max({last('package_purchase')})", "date"),
        hidden("_last_care_ts", CARE, "max(ts)", "date"),
        hidden(
            "_last_offer_ts",
            CAMPAIGNS,
            "max(CASE WHEN {q:group} = 'treatment' THEN sent_ts END)",
            "date",
        ),
    ]
