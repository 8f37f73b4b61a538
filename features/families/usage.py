"""Usage families over `usage_daily`: volumes, intensity, spread, trends, network experience.

Query shape is chosen on purpose, because at a million subscribers it matters more than
the engine. Every usage family is a plain `sum` grouped by subscriber_id, in one pass over
the 90 days before T: the source gives each row its window memberships as 0/1 numbers
(`in7`, `in30`) and its weekly-slope weight once, and windows are products (`sum(data_mb *
in30)`), which DuckDB runs much faster than a `CASE WHEN` (or `FILTER`) per aggregate.
Measures are summed as DOUBLE (cheaper aggregate state than exact 128-bit integer sums).
Input files ordered by subscriber keep the hash aggregation cache-friendly. A rollup to
(subscriber, period) rows first was measured slower: six times the groups.
"""

from __future__ import annotations

from features.families.feature import Feature, Source, aggregate, derived, hidden

TABLE = "usage_daily"
WINDOWS = (7, 30, 90)
MEASURES = {
    "voice_out_calls": "outgoing calls",
    "voice_out_min": "outgoing call minutes",
    "voice_in_min": "incoming call minutes",
    "sms_out": "SMS sent",
    "data_mb": "mobile data, MB",
    "revenue_vnd": "charged revenue, VND",
    "dropped_calls": "calls dropped by the network",
}
SPREAD = ("voice_out_min", "sms_out", "data_mb", "revenue_vnd")

_MEASURES = ",\n  ".join(f"CAST({m} AS DOUBLE) AS {m}" for m in MEASURES)
SOURCE = Source(
    TABLE,
    f"""SELECT subscriber_id, date,
  {_MEASURES},
  CAST(roaming AS DOUBLE) AS roaming_day,
  CAST(revenue_vnd > 0 AS DOUBLE) AS billable,
  CAST(date >= {{lo:7}} AS DOUBLE) AS in7,
  CAST(date >= {{lo:30}} AS DOUBLE) AS in30,
  CAST(CASE WHEN date >= {{lo:7}} THEN 1.5 WHEN date >= {{lo:14}} THEN 0.5
       WHEN date >= {{lo:21}} THEN -0.5 WHEN date >= {{lo:28}} THEN -1.5 ELSE 0 END AS DOUBLE)
    AS slope_w
FROM usage_daily WHERE date >= {{lo:90}} AND date < {{t}}""",
    "usage days in the 90 days before T, with window memberships and slope weights",
)


def _within(col: str, w: int) -> str:
    return f"sum({col})" if w == 90 else f"sum({col} * in{w})"


def _trend(s30: str, s90: str) -> str:
    return f"ln((1 + {s30}) / (1 + ({s90} - {s30}) / 2))"


def features() -> list[Feature]:
    out = []
    for w in WINDOWS:
        for m, text in MEASURES.items():
            out.append(
                aggregate(
                    f"{m}_sum_{w}d",
                    TABLE,
                    _within(m, w),
                    f"Total {text} in the {w} days before as_of",
                )
            )
        out.append(
            aggregate(
                f"active_days_{w}d",
                TABLE,
                "count(*)" if w == 90 else f"sum(in{w})",
                f"Days with any usage in the {w} days before as_of",
            )
        )
    for w in WINDOWS:
        for m in SPREAD:
            text = MEASURES[m]
            out.append(
                derived(
                    f"{m}_mean_{w}d",
                    TABLE,
                    f"{m}_sum_{w}d / nullif(active_days_{w}d, 0)",
                    f"Mean {text} per active day, {w} days (null without usage)",
                    fill=None,
                )
            )
            if w == 7:
                continue  # a week of days is too few for a useful spread
            out.append(
                derived(
                    f"{m}_std_{w}d",
                    TABLE,
                    f"sqrt(greatest(_{m}_sq_{w}d / {w} - power({m}_sum_{w}d / {w}, 2), 0))",
                    f"Standard deviation of daily {text} over the {w} calendar days",
                )
            )
    for m in (*SPREAD, "active_days"):
        total = "active_days_{w}d" if m == "active_days" else f"{m}_sum_{{w}}d"
        out.append(
            derived(
                f"{m}_trend_30d",
                TABLE,
                _trend(total.format(w=30), total.format(w=90)),
                f"Log ratio of {MEASURES.get(m, 'active days')}: last 30 days over the "
                "monthly mean of the 60 before",
            )
        )
    for m in ("voice_out_min", "data_mb", "revenue_vnd", "days"):
        name = "active_days" if m == "days" else m
        text = MEASURES.get(m, "active days")
        out.append(
            aggregate(
                f"{name}_slope_28d",
                TABLE,
                "sum(slope_w) / 5" if m == "days" else f"sum({m} * slope_w) / 5",
                f"Least-squares slope of weekly {text} over the last 4 weeks, per week",
            )
        )
    out += [
        aggregate(
            "billable_days_30d",
            TABLE,
            "sum(billable * in30)",
            "Days with charged usage in the 30 days before as_of",
        ),
        aggregate("roaming_days_90d", TABLE, "sum(roaming_day)", "Days with roaming, 90 days"),
        derived(
            "dropped_call_rate_30d",
            TABLE,
            "dropped_calls_sum_30d / nullif(voice_out_calls_sum_30d, 0)",
            "Dropped calls per outgoing call, 30 days (null without calls)",
            fill=None,
        ),
        derived(
            "dropped_call_rate_90d",
            TABLE,
            "dropped_calls_sum_90d / nullif(voice_out_calls_sum_90d, 0)",
            "Dropped calls per outgoing call, 90 days (null without calls)",
            fill=None,
        ),
        derived(
            "dropped_call_rate_trend_30d",
            TABLE,
            "dropped_calls_sum_30d / nullif(voice_out_calls_sum_30d, 0) - "
            "(dropped_calls_sum_90d - dropped_calls_sum_30d) "
            "/ nullif(voice_out_calls_sum_90d - voice_out_calls_sum_30d, 0)",
            "Dropped-call rate of the last 30 days minus that of the 60 before (null if no calls)",
            fill=None,
        ),
        derived(
            "days_since_last_data_session",
            TABLE,
            "{days:_last_data_day}",
            "Days since the last day with mobile data (null if none in 90 days)",
            fill=None,
        ),
    ]
    return out


def intermediates() -> list[Feature]:
    out = [
        hidden(f"_{m}_sq_{w}d", TABLE, _within(f"{m} * {m}", w), fill=0.0)
        for w in WINDOWS[1:]
        for m in SPREAD
    ]
    out += [
        hidden("_last_data_day", TABLE, "max(CASE WHEN data_mb > 0 THEN date END)", kind="date"),
        hidden(
            "_last_billable_usage_day",
            TABLE,
            "max(CASE WHEN billable > 0 THEN date END)",
            kind="date",
        ),
    ]
    return out
