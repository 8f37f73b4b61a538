"""Money families: recharge behaviour (RFM from the top-up log) and postpaid billing.

The recharge log is the one event table every operator has; with the subscriber list it is
enough for recency, frequency and monetary features (and for value labels, see
`features.query`). Gaps between top-ups come from a window function over each subscriber's
whole top-up history before T, so the first gap inside a window counts from the top-up
before it.
"""

from __future__ import annotations

from features.families.feature import Feature, Source, aggregate, derived, hidden

RECHARGES = "recharges"
INVOICES = "invoices"
SMALL_TOP_UP_VND = 20_000

RECHARGE_SOURCE = Source(
    RECHARGES,
    """SELECT subscriber_id, ts, amount_vnd, channel,
  {days:lag(ts) OVER (PARTITION BY subscriber_id ORDER BY ts)} - {days:ts} AS gap_days
FROM recharges WHERE ts < {t}""",
    "every top-up before T, with the days since the subscriber's previous top-up",
)
INVOICE_SOURCE = Source(
    INVOICES, "SELECT * FROM invoices WHERE issue_date < {t}", "invoices issued before T"
)


def _in(w: int, col: str = "ts") -> str:
    return f"{col} >= {{lo:{w}}}"


def recharge_features() -> list[Feature]:
    out = []
    for w in (7, 30, 90):
        out.append(
            aggregate(
                f"recharge_count_{w}d",
                RECHARGES,
                f"count(CASE WHEN {_in(w)} THEN 1 END)",
                f"Top-ups in the {w} days before as_of",
            )
        )
    for w in (30, 90):
        out.append(
            aggregate(
                f"recharge_vnd_sum_{w}d",
                RECHARGES,
                f"sum(CASE WHEN {_in(w)} THEN amount_vnd ELSE 0 END)",
                f"Top-up amount in the {w} days before as_of, VND",
            )
        )
    in90 = _in(90)
    out += [
        aggregate(
            "recharge_vnd_mean_90d",
            RECHARGES,
            f"avg(CASE WHEN {in90} THEN amount_vnd END)",
            "Mean top-up amount over 90 days, VND (null without top-ups)",
            fill=None,
        ),
        aggregate(
            "recharge_vnd_max_90d",
            RECHARGES,
            f"max(CASE WHEN {in90} THEN amount_vnd END)",
            "Largest top-up over 90 days, VND (null without top-ups)",
            fill=None,
        ),
        aggregate(
            "recharge_gap_days_mean_90d",
            RECHARGES,
            f"avg(CASE WHEN {in90} THEN gap_days END)",
            "Mean days between consecutive top-ups ending in the 90 days (null if fewer than 2)",
            fill=None,
        ),
        aggregate(
            "recharge_gap_days_max_90d",
            RECHARGES,
            f"max(CASE WHEN {in90} THEN gap_days END)",
            "Longest gap between consecutive top-ups ending in the 90 days, days",
            fill=None,
        ),
        aggregate(
            "recharge_small_share_90d",
            RECHARGES,
            f"avg(CASE WHEN {in90} THEN CAST(amount_vnd <= {SMALL_TOP_UP_VND} AS DOUBLE) END)",
            f"Share of top-ups of at most {SMALL_TOP_UP_VND:,} VND, 90 days (null without)",
            fill=None,
        ),
        # Whole-history RFM (the inputs of BTYD models: repeat days, recency, age, spend)
        aggregate(
            "recharge_days_count_all",
            RECHARGES,
            "count(DISTINCT CAST(ts AS DATE))",
            "Days with a top-up in the whole history before as_of",
        ),
        aggregate(
            "recharge_vnd_sum_all",
            RECHARGES,
            "sum(amount_vnd)",
            "Top-up amount in the whole history before as_of, VND",
        ),
        derived(
            "days_since_first_recharge",
            RECHARGES,
            "{days:_first_recharge_ts}",
            "Days since the first top-up (null if none ever)",
            fill=None,
        ),
        aggregate(
            "airtime_loan_count_90d",
            RECHARGES,
            f"count(CASE WHEN {in90} AND channel = 'airtime_loan' THEN 1 END)",
            "Airtime loans (advance credit) taken in the 90 days before as_of",
        ),
        derived(
            "recharge_vnd_trend_30d",
            RECHARGES,
            "ln((1 + recharge_vnd_sum_30d) / (1 + (recharge_vnd_sum_90d - recharge_vnd_sum_30d) "
            "/ 2))",
            "Log ratio of top-up amount: last 30 days over the monthly mean of the 60 before",
        ),
        derived(
            "days_since_last_recharge",
            RECHARGES,
            "{days:_last_recharge_ts}",
            "Days since the last top-up (null if none ever)",
            fill=None,
        ),
        derived(
            "days_since_last_billable",
            RECHARGES,
            "{days:greatest(coalesce(_last_billable_usage_day, CAST(_last_recharge_ts AS DATE)), "
            "coalesce(CAST(_last_recharge_ts AS DATE), _last_billable_usage_day))}",
            "Days since the last charged usage or top-up (null if none ever)",
            fill=None,
        ),
    ]
    return out


def invoice_features() -> list[Feature]:
    in90 = _in(90, "issue_date")
    late = "due_date < {t} AND (paid_date IS NULL OR paid_date > due_date)"
    return [
        aggregate(
            "invoice_count_90d",
            INVOICES,
            f"count(CASE WHEN {in90} THEN 1 END)",
            "Invoices issued in the 90 days before as_of (postpaid)",
        ),
        aggregate(
            "invoice_vnd_mean_90d",
            INVOICES,
            f"avg(CASE WHEN {in90} THEN amount_vnd END)",
            "Mean invoiced amount over 90 days, VND (null without invoices)",
            fill=None,
        ),
        derived(
            "invoice_vnd_change_90d",
            INVOICES,
            "_invoice_vnd_last_90d - invoice_vnd_mean_90d",
            "Latest invoice minus the 90-day mean invoice, VND (amount trend; null without)",
            fill=None,
        ),
        aggregate(
            "invoice_late_count_90d",
            INVOICES,
            f"count(CASE WHEN {in90} AND {late} THEN 1 END)",
            "Invoices of the 90 days past due and unpaid at as_of, or paid after the due date",
        ),
        aggregate(
            "invoice_unpaid_count_90d",
            INVOICES,
            f"count(CASE WHEN {in90} AND (paid_date IS NULL OR paid_date >= {{t}}) THEN 1 END)",
            "Invoices of the 90 days still unpaid at as_of",
        ),
        aggregate(
            "invoice_days_past_due_mean_90d",
            INVOICES,
            f"avg(CASE WHEN {in90} AND paid_date < {{t}} "
            "THEN {days:due_date} - {days:paid_date} END)",
            "Mean days from due date to payment for invoices paid before as_of (negative: early)",
            fill=None,
        ),
    ]


def intermediates() -> list[Feature]:
    return [
        hidden("_last_recharge_ts", RECHARGES, "max(ts)", kind="date"),
        hidden("_first_recharge_ts", RECHARGES, "min(ts)", kind="date"),
        hidden(
            "_invoice_vnd_last_90d",
            INVOICES,
            f"max_by(CASE WHEN {_in(90, 'issue_date')} THEN amount_vnd END, "
            f"CASE WHEN {_in(90, 'issue_date')} THEN bill_month END)",
        ),
    ]
