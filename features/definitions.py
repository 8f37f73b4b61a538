"""Feature definitions, declared once: name, source table, SQL template, description.

Each feature reads one raw table's rows strictly before `as_of` (the sources in
`features.families.feature` only ever select such rows; labels live in `features.labels`).
Names read `{measure}_{agg}_{window}d`. The families live in `features.families`, one per
concern (`usage`, `accounts`, `relationship`); this module assembles them into the vector's
fixed order. The templates are engine-neutral (see `features.dialect`), so the
same declarations compile to DuckDB and to Spark SQL (`features.query`).

The feature schema version is a hash of these declarations: any change to a name, a type,
a template or a fill changes it, and serving refuses models trained on another version.

Optional tables (invoices, care contacts, campaigns, usage, lifecycle events) may be absent:
the vector keeps its columns, and the families of an absent table are all null (no fill),
so models and serving see one layout and one version everywhere; LightGBM treats an
all-null column as unused. The training manifest records which tables were present.
"""

from __future__ import annotations

import hashlib

from features.families import accounts, relationship, usage
from features.families.feature import Feature, Source
from features.families.relationship import ATTRIBUTES

WINDOWS = usage.WINDOWS
LOOKBACK_DAYS = 90

__all__ = [
    "ATTRIBUTES",
    "CATEGORICAL",
    "FEATURES",
    "FEATURE_NAMES",
    "INTERMEDIATES",
    "NUMERIC",
    "SOURCES",
    "Feature",
    "Source",
    "feature_schema_version",
]

FEATURES: tuple[Feature, ...] = tuple(
    relationship.attribute_features()
    + usage.features()
    + accounts.recharge_features()
    + accounts.invoice_features()
    + relationship.care_features()
    + relationship.lifecycle_features()
    + relationship.campaign_features()
)
INTERMEDIATES: tuple[Feature, ...] = tuple(
    usage.intermediates() + accounts.intermediates() + relationship.intermediates()
)
SOURCES: dict[str, Source] = {
    s.table: s
    for s in (
        usage.SOURCE,
        accounts.RECHARGE_SOURCE,
        accounts.INVOICE_SOURCE,
        *relationship.SOURCES,
    )
}

FEATURE_NAMES: tuple[str, ...] = tuple(f.name for f in FEATURES)
CATEGORICAL: tuple[str, ...] = tuple(f.name for f in FEATURES if f.kind == "categorical")
NUMERIC: tuple[str, ...] = tuple(f.name for f in FEATURES if f.kind == "numeric")

LABEL_CHURN = "churned_30d"
LABEL_VALUE = "value_vnd_90d"


def _check() -> None:
    names = [f.name for f in FEATURES + INTERMEDIATES]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise ValueError(f"feature definitions: duplicate names {dupes}")
    for f in FEATURES + INTERMEDIATES:
        if f.step == "aggregate" and f.table not in SOURCES:
            raise ValueError(f"feature {f.name}: no source declared for table {f.table}")


_check()


def feature_schema_version() -> str:
    """A short hash of every definition; equal versions mean identical feature vectors."""
    text = "\n".join(
        f"{f.name}|{f.table}|{f.kind}|{f.step}|{f.sql}|{f.fill}" for f in FEATURES + INTERMEDIATES
    )
    text += "\n" + "\n".join(f"{s.table}|{s.relation}" for s in SOURCES.values())
    return "fs-" + hashlib.sha256(text.encode()).hexdigest()[:12]
