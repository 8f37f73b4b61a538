"""The labels, read only from [as_of, as_of + horizon): churn in the next H days and revenue
in the next V days (DESIGN's definitions; `features.query`'s docstring states them).

- churn label: termination or port-out in [T, T + H), or, for prepaid, no billable activity
  in [T, T + H) (H = 30 days by default);
- value label: revenue_vnd in [T, T + V) (V = 90 days by default); an operator without a
  usage table gets top-up amounts in [T, T + V) instead (the recharge log alone suffices).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import date, timedelta
from typing import Any

import numpy as np

from features.definitions import SOURCES
from features.dialect import DUCKDB, Dialect, render
from features.query import SnapshotConfig


def trailing_revenue_vnd_90d(columns: Mapping[str, Any]) -> np.ndarray:
    """Revenue of the 90 days before T, read as the value label reads the future: charged
    usage (`revenue_vnd_sum_90d`) where the extract has a usage table, top-ups
    (`recharge_vnd_sum_90d`) where it has none (its usage features are null). The value
    baseline, the relationship states and the scoring report's Pareto all use it."""
    usage = np.asarray(columns["revenue_vnd_sum_90d"], dtype=float)
    top_ups = np.asarray(columns["recharge_vnd_sum_90d"], dtype=float)
    return np.where(np.isnan(usage), top_ups, usage)


def check_label_coverage(last: date | None, as_of: date, config: SnapshotConfig, column: str):
    """Raise ValueError unless the data reach the end of both label windows."""
    needed = as_of + timedelta(days=max(config.churn_horizon_days, config.value_horizon_days) - 1)
    if last is None or last < needed:
        raise ValueError(
            f"{column}: data ends {last}, but labels as of {as_of} need "
            f"[{as_of}, {needed}]; choose an earlier as_of or shorter horizons"
        )


def labels_sql(
    as_of: date,
    config: SnapshotConfig = SnapshotConfig(),
    dialect: Dialect = DUCKDB,
    tables: Collection[str] | None = None,
) -> str:
    """Churn and value labels for every subscriber, reading only [as_of, as_of + horizon)."""
    present = set(SOURCES) | {"subscribers"} if tables is None else set(tables)
    h, v = config.churn_horizon_days, config.value_horizon_days
    usage = "usage_daily" in present
    gone = (
        f"""SELECT DISTINCT subscriber_id FROM subscription_events
           WHERE event IN ('termination', 'port_out') AND ts >= {{t}} AND ts < {{hi:{h}}}"""
        if "subscription_events" in present
        else "SELECT subscriber_id FROM subscribers WHERE false"
    )
    active = f"SELECT subscriber_id FROM recharges WHERE ts >= {{t}} AND ts < {{hi:{h}}}"
    if usage:
        active = (
            "SELECT subscriber_id FROM usage_daily WHERE revenue_vnd > 0 AND date >= {t} "
            f"AND date < {{hi:{h}}}\n           UNION\n           {active}"
        )
    value = (
        f"SELECT subscriber_id, sum(revenue_vnd) AS revenue FROM usage_daily "
        f"WHERE date >= {{t}} AND date < {{hi:{v}}} GROUP BY subscriber_id"
        if usage
        else f"SELECT subscriber_id, sum(amount_vnd) AS revenue FROM recharges "
        f"WHERE ts >= {{t}} AND ts < {{hi:{v}}} GROUP BY subscriber_id"
    )
    template = f"""
SELECT s.subscriber_id,
  CASE WHEN gone.subscriber_id IS NOT NULL
         OR (coalesce(s.contract_type, 'prepaid') = 'prepaid' AND act.subscriber_id IS NULL)
       THEN 1 ELSE 0 END
    AS {config.churn_label},
  CAST(coalesce(val.revenue, 0) AS DOUBLE) AS {config.value_label}
FROM subscribers s
LEFT JOIN ({gone}) gone ON gone.subscriber_id = s.subscriber_id
LEFT JOIN (SELECT DISTINCT subscriber_id FROM ({active}) a) act
  ON act.subscriber_id = s.subscriber_id
LEFT JOIN ({value}) val ON val.subscriber_id = s.subscriber_id"""
    return render(template, as_of, dialect)
