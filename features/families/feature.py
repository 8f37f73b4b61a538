"""The two declarations every feature is made of: a `Feature` and the `Source` it reads.

A source is one raw table seen as of T: a relation template (the table's rows strictly
before T, sometimes rolled up or given a row-level column) grouped by subscriber. A feature
is one of three steps over it:
- `attribute`: a column expression over the subscriber's `subscribers` row;
- `aggregate`: an aggregate over the source relation's rows of that subscriber;
- `derived`: a row expression over the subscriber's aggregates (ratios, trends, spreads).

Templates are engine-neutral SQL with three macros, resolved by `features.dialect`:
`{t}` the as-of date literal, `{lo:N}` the literal of T - N days, and `{days:EXPR}` the whole
days from EXPR (a date or timestamp) to T. `{q:NAME}` quotes an identifier. Keeping engine
differences in those few macros is what lets one declaration run on DuckDB and on Spark.
"""

from __future__ import annotations

from dataclasses import dataclass

STEPS = ("attribute", "aggregate", "derived")
KINDS = ("numeric", "categorical", "date")


@dataclass(frozen=True)
class Feature:
    name: str
    table: str  # raw table whose rows the feature reads ("subscribers" for attributes)
    sql: str  # SQL template: attribute expression, aggregate, or expression over aggregates
    description: str
    kind: str = "numeric"  # numeric | categorical | date (dates only for intermediates)
    fill: float | None = 0.0  # value when the subscriber has no rows (None keeps null)
    step: str = "aggregate"  # attribute | aggregate | derived

    def __post_init__(self) -> None:
        if self.step not in STEPS:
            raise ValueError(f"feature {self.name}: step must be one of {STEPS}, not {self.step}")
        if self.kind not in KINDS:
            raise ValueError(f"feature {self.name}: kind must be one of {KINDS}, not {self.kind}")


@dataclass(frozen=True)
class Source:
    """How one raw table is read as of T: `relation` is a SELECT over the table (rows before
    T only) whose rows the table's aggregates group by subscriber_id."""

    table: str
    relation: str
    description: str = ""


def aggregate(name: str, table: str, sql: str, description: str, **kw) -> Feature:
    return Feature(name, table, sql, description, step="aggregate", **kw)


def derived(name: str, table: str, sql: str, description: str, **kw) -> Feature:
    return Feature(name, table, sql, description, step="derived", **kw)


def hidden(name: str, table: str, sql: str, kind: str = "numeric", fill=None) -> Feature:
    """An intermediate aggregate that derived features read; never part of the vector."""
    return Feature(name, table, sql, "intermediate", kind=kind, fill=fill, step="aggregate")
