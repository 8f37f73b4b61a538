"""Point-in-time snapshots on DuckDB: one behaviour vector per eligible subscriber as of T.

Definitions (DESIGN §4), with T = `as_of` always passed in, never read from a clock:
- eligible at T: activated before T, not terminated or ported out before T, and some billable
  activity (charged usage or a top-up) in [T - 30d, T) or activated within those 30 days;
- features read only rows strictly before T;
- churn label: termination or port-out in [T, T + H), or, for prepaid, no billable activity
  in [T, T + H) (H = 30 days by default);
- value label: revenue_vnd in [T, T + V) (V = 90 days by default).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pandas as pd

from features.definitions import FEATURES, Feature
from features.schema import TABLES
from features.sources import check_tables

AGGREGATED_TABLES = ("usage_daily", "recharges", "care_contacts", "subscription_events")


@dataclass(frozen=True)
class SnapshotConfig:
    churn_horizon_days: int = 30
    value_horizon_days: int = 90
    eligibility_days: int = 30
    lookback_days: int = 90

    @property
    def churn_label(self) -> str:
        return f"churned_{self.churn_horizon_days}d"

    @property
    def value_label(self) -> str:
        return f"value_vnd_{self.value_horizon_days}d"


def connect(raw: Path, threads: int | None = None) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB with one view per raw table (empty, typed views for absent ones)."""
    files = check_tables(raw)
    con = duckdb.connect()
    if threads:
        con.execute(f"SET threads = {int(threads)}")
    for name, table in TABLES.items():
        if name in files:
            paths = ", ".join(f"'{p}'" for p in files[name])
            con.execute(f"CREATE VIEW {name} AS SELECT * FROM read_parquet([{paths}])")
        else:
            cols = ", ".join(
                f'CAST(NULL AS {_SQL_TYPES[c.dtype]}) AS "{c.name}"' for c in table.columns
            )
            con.execute(f"CREATE VIEW {name} AS SELECT {cols} WHERE false")
    return con


_SQL_TYPES = {
    "int64": "BIGINT",
    "float64": "DOUBLE",
    "string": "VARCHAR",
    "bool": "BOOLEAN",
    "date": "DATE",
    "timestamp": "TIMESTAMP",
}


def _select(f: Feature, source: str) -> str:
    expr = f"{source}.{f.name}"
    if f.kind == "categorical":
        return f"CAST({expr} AS VARCHAR) AS {f.name}"
    if f.fill is not None:
        expr = f"coalesce({expr}, {f.fill})"
    return f"CAST({expr} AS DOUBLE) AS {f.name}"


def snapshot_sql(as_of: date, config: SnapshotConfig = SnapshotConfig()) -> str:
    """The SQL that computes the eligible subscribers' vectors as of `as_of`."""
    t = as_of.isoformat()
    by_table: dict[str, list[Feature]] = {}
    for f in FEATURES:
        by_table.setdefault(f.table, []).append(f)

    def aggs(table: str) -> str:
        return ",\n    ".join(f"{f.sql.format(t=t)} AS {f.name}" for f in by_table[table])

    time_col = {n: TABLES[n].time_column for n in AGGREGATED_TABLES}
    ctes = [
        f"""base AS (
  SELECT * FROM subscribers
  WHERE activation_date < DATE '{t}'
    AND subscriber_id NOT IN (
      SELECT subscriber_id FROM subscription_events
      WHERE event IN ('termination', 'port_out') AND ts < DATE '{t}'))""",
        f"""activity AS (
  SELECT subscriber_id, date AS day, false AS is_recharge FROM usage_daily
  WHERE revenue_vnd > 0 AND date < DATE '{t}'
  UNION ALL
  SELECT subscriber_id, CAST(ts AS DATE), true FROM recharges WHERE ts < DATE '{t}')""",
        f"""f_activity AS (
  SELECT subscriber_id, max(day) AS last_billable_day,
    {aggs("activity")}
  FROM activity GROUP BY subscriber_id)""",
        f"""f_plan AS (
  SELECT subscriber_id, arg_max(detail, ts) AS tariff_plan FROM subscription_events
  WHERE event = 'plan_change' AND ts < DATE '{t}' GROUP BY subscriber_id)""",
    ]
    for name in AGGREGATED_TABLES:
        if name not in by_table:
            continue
        ctes.append(f"""f_{name} AS (
  SELECT subscriber_id,
    {aggs(name)}
  FROM {name}
  WHERE {time_col[name]} >= DATE '{t}' - INTERVAL {config.lookback_days} DAY
    AND {time_col[name]} < DATE '{t}'
  GROUP BY subscriber_id)""")
    source = {"subscribers": "b", "activity": "f_activity", "plan": "p"}
    cols = []
    for f in FEATURES:
        if f.name == "tenure_days":
            cols.append(f"CAST(DATE '{t}' - b.activation_date AS DOUBLE) AS tenure_days")
        elif f.name == "tariff_plan":
            cols.append("coalesce(p.tariff_plan, b.tariff_plan) AS tariff_plan")
        else:
            cols.append(_select(f, source.get(f.table, f"f_{f.table}")))
    joins = "\n".join(
        f"LEFT JOIN f_{n} USING (subscriber_id)" for n in AGGREGATED_TABLES if n in by_table
    )
    select_cols = ",\n  ".join(cols)
    return f"""WITH {", ".join(ctes)}
SELECT b.subscriber_id, DATE '{t}' AS as_of,
  {select_cols}
FROM base b
LEFT JOIN f_activity USING (subscriber_id)
LEFT JOIN f_plan p USING (subscriber_id)
{joins}
WHERE f_activity.last_billable_day >= DATE '{t}' - INTERVAL {config.eligibility_days} DAY
   OR b.activation_date >= DATE '{t}' - INTERVAL {config.eligibility_days} DAY
ORDER BY b.subscriber_id"""


def labels_sql(as_of: date, config: SnapshotConfig = SnapshotConfig()) -> str:
    """Churn and value labels for every subscriber, reading only [as_of, as_of + horizon)."""
    t, h, v = as_of.isoformat(), config.churn_horizon_days, config.value_horizon_days
    return f"""
SELECT s.subscriber_id,
  CASE WHEN gone.subscriber_id IS NOT NULL
         OR (s.contract_type = 'prepaid' AND act.subscriber_id IS NULL) THEN 1 ELSE 0 END
    AS {config.churn_label},
  CAST(coalesce(val.revenue, 0) AS DOUBLE) AS {config.value_label}
FROM subscribers s
LEFT JOIN (SELECT DISTINCT subscriber_id FROM subscription_events
           WHERE event IN ('termination', 'port_out')
             AND ts >= DATE '{t}' AND ts < DATE '{t}' + INTERVAL {h} DAY) gone USING (subscriber_id)
LEFT JOIN (SELECT subscriber_id FROM usage_daily
           WHERE revenue_vnd > 0 AND date >= DATE '{t}' AND date < DATE '{t}' + INTERVAL {h} DAY
           UNION
           SELECT subscriber_id FROM recharges
           WHERE ts >= DATE '{t}' AND ts < DATE '{t}' + INTERVAL {h} DAY) act USING (subscriber_id)
LEFT JOIN (SELECT subscriber_id, sum(revenue_vnd) AS revenue FROM usage_daily
           WHERE date >= DATE '{t}' AND date < DATE '{t}' + INTERVAL {v} DAY
           GROUP BY subscriber_id) val USING (subscriber_id)"""


def build_snapshot(
    raw: Path | duckdb.DuckDBPyConnection,
    as_of: date,
    config: SnapshotConfig = SnapshotConfig(),
    labels: bool = False,
) -> pd.DataFrame:
    """Behaviour vectors of the subscribers eligible at `as_of`, optionally with labels.

    With `labels=True` the raw data must cover the label windows: the usage table must
    reach as_of + max(H, V) - 1, or a ValueError says which window is not covered.
    """
    con = raw if isinstance(raw, duckdb.DuckDBPyConnection) else connect(raw)
    frame = con.execute(snapshot_sql(as_of, config)).df()
    if labels:
        horizon = max(config.churn_horizon_days, config.value_horizon_days)
        last = con.execute("SELECT max(date) FROM usage_daily").fetchone()[0]
        needed = as_of + timedelta(days=horizon - 1)
        if last is None or last < needed:
            raise ValueError(
                f"usage_daily.date: data ends {last}, but labels as of {as_of} need "
                f"[{as_of}, {needed}]; choose an earlier as_of or shorter horizons"
            )
        lab = con.execute(labels_sql(as_of, config)).df()
        frame = frame.merge(lab, on="subscriber_id", how="left", validate="one_to_one")
    frame["as_of"] = pd.to_datetime(frame["as_of"]).dt.date
    return frame
