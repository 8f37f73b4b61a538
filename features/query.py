"""The snapshot query, compiled from the declarations for one SQL engine (the labels are in
`features.labels`).

Definitions (DESIGN §4), with T = `as_of` always passed in, never read from a clock:
- eligible at T: activated before T, not terminated or ported out before T, and some billable
  activity (charged usage or a top-up) in [T - 30d, T) or activated within those 30 days;
- features read only rows strictly before T (each source's relation selects only those);
- churn label: termination or port-out in [T, T + H), or, for prepaid, no billable activity
  in [T, T + H) (H = 30 days by default);
- value label: revenue_vnd in [T, T + V) (V = 90 days by default); an operator without a
  usage table gets top-up amounts in [T, T + V) instead (the recharge log alone suffices).

The query has four layers: one aggregate per source grouped by subscriber; the eligible base
joined to them with fills applied (absent tables give typed nulls); the derived features over
those columns; and the eligibility filter, ordered by subscriber_id.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from dataclasses import asdict, dataclass, fields
from datetime import date

from features.definitions import FEATURES, INTERMEDIATES, SOURCES, Feature
from features.dialect import DUCKDB, Dialect, render


@dataclass(frozen=True)
class SnapshotConfig:
    churn_horizon_days: int = 30
    value_horizon_days: int = 90
    eligibility_days: int = 30
    lookback_days: int = 90

    def __post_init__(self) -> None:
        for name in ("churn_horizon_days", "value_horizon_days", "eligibility_days"):
            if getattr(self, name) < 1:
                raise ValueError(f"SnapshotConfig.{name}: must be at least 1 day")
        if self.lookback_days < 90 or self.lookback_days < self.eligibility_days:
            raise ValueError(
                "SnapshotConfig.lookback_days: must cover the 90-day feature windows and the "
                f"eligibility window, got {self.lookback_days}"
            )

    def to_json(self) -> str:
        """The configuration as JSON: stored with every registered model (`SNAPSHOT_TAG`),
        so scoring builds its snapshots as training built them."""
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> SnapshotConfig:
        data = json.loads(text)
        known = {f.name for f in fields(cls)}
        return cls(**{k: int(v) for k, v in data.items() if k in known})

    @property
    def churn_label(self) -> str:
        return f"churned_{self.churn_horizon_days}d"

    @property
    def value_label(self) -> str:
        return f"value_vnd_{self.value_horizon_days}d"


def _typed_null(f: Feature, dialect: Dialect) -> str:
    sql_type = {"numeric": "DOUBLE", "categorical": dialect.string_type, "date": "DATE"}
    return f"CAST(NULL AS {sql_type[f.kind]})"


def _literal(fill: float) -> str:
    # A bare 0.0 is DECIMAL in Spark, which would turn later arithmetic into rounded decimals.
    return f"CAST({fill!r} AS DOUBLE)"


def snapshot_sql(
    as_of: date,
    config: SnapshotConfig = SnapshotConfig(),
    dialect: Dialect = DUCKDB,
    tables: Collection[str] | None = None,
) -> str:
    """The query computing the eligible subscribers' vectors as of `as_of`.

    `tables` names the raw tables present (default: all); families of absent ones are null.
    """
    present = set(SOURCES) | {"subscribers"} if tables is None else set(tables)

    def r(template: str) -> str:
        return render(template, as_of, dialect)

    every = FEATURES + INTERMEDIATES
    ctes = []
    terminated = ""
    if "subscription_events" in present:
        terminated = r(
            "\n    AND NOT EXISTS (SELECT 1 FROM subscription_events e"
            "\n      WHERE e.subscriber_id = subscribers.subscriber_id"
            "\n        AND e.event IN ('termination', 'port_out') AND e.ts < {t})"
        )
    ctes.append(
        f"base AS (\n  SELECT * FROM subscribers\n  WHERE activation_date < {r('{t}')}{terminated})"
    )
    for table in SOURCES:
        if table in present:
            ctes.append(f"f_{table} AS (\n  {source_sql(table, as_of, dialect)})")
    cols = []
    for f in every:
        if f.step == "attribute":
            cols.append(f"{r(f.sql)} AS {f.name}")
        elif f.step == "aggregate" and f.table in present:
            fill = f"coalesce({f.name}, {_literal(f.fill)})" if f.fill is not None else f.name
            cols.append(f"{fill} AS {f.name}")
        elif f.step == "aggregate":
            cols.append(f"{_typed_null(f, dialect)} AS {f.name}")
    joins = "".join(f"\n  LEFT JOIN f_{t} USING (subscriber_id)" for t in SOURCES if t in present)
    ctes.append(
        "joined AS (\n  SELECT subscriber_id,\n    "
        + ",\n    ".join(cols)
        + f"\n  FROM base{joins})"
    )
    out = []
    for f in FEATURES:
        expr = r(f.sql) if f.step == "derived" else f.name
        if f.table not in present:
            expr = _typed_null(f, dialect)
        elif f.fill is not None:
            expr = f"coalesce({expr}, {_literal(f.fill)})"
        sql_type = dialect.string_type if f.kind == "categorical" else "DOUBLE"
        out.append(f"CAST({expr} AS {sql_type}) AS {f.name}")
    ctes.append(
        "vec AS (\n  SELECT subscriber_id,\n    " + ",\n    ".join(out) + "\n  FROM joined)"
    )
    e = config.eligibility_days
    return (
        "WITH "
        + ",\n".join(ctes)
        + f"\nSELECT subscriber_id, {r('{t}')} AS as_of, "
        + ", ".join(f.name for f in FEATURES)
        + f"\nFROM vec\nWHERE days_since_last_billable <= {e} OR tenure_days <= {e}"
        + "\nORDER BY subscriber_id"
    )


def source_sql(table: str, as_of: date, dialect: Dialect = DUCKDB) -> str:
    """One source's aggregates per subscriber (the `f_<table>` step of the snapshot query)."""
    aggs = ",\n    ".join(
        f"{render(f.sql, as_of, dialect)} AS {f.name}"
        for f in FEATURES + INTERMEDIATES
        if f.step == "aggregate" and f.table == table
    )
    relation = render(SOURCES[table].relation, as_of, dialect)
    return f"SELECT subscriber_id,\n    {aggs}\n  FROM ({relation}) rel\n  GROUP BY subscriber_id"
