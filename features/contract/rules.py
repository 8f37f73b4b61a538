"""The row-level checks of the data contract, stated once: `validate_raw` counts and shows the
rows each rule matches, `clean_raw` sends them to the rejects with the rule's reason."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from features.contract.schema import Table

NON_NEGATIVE_UNITS = ("VND", "MB", "min", "calls", "messages")
# Above these, one row's amount is a unit or extraction error, not a customer: a day has
# 1,440 minutes; a billion VND in one top-up, day or bill of one line is not plausible.
IMPLAUSIBLE_ABOVE = {"VND": 10**9, "min": 1440, "MB": 10**6, "calls": 10**5, "messages": 10**5}
WARNINGS = ("before_activation", "accepted_in_control")


@dataclass(frozen=True)
class RowRule:
    """A row-level check, stated once: the rows of `table` matching `where` have the problem.

    `where` is a DuckDB predicate over the table's own columns, plus `activation_date` (the
    subscriber's, joined) when `joins_activation`, and the views `subscribers` and the table.
    `validate_raw` counts and shows the matching rows; `features.contract.clean` sends them to the
    rejects with the reason `column: check`.
    """

    table: str
    column: str
    check: str
    message: str
    where: str
    show: tuple[str, ...]
    joins_activation: bool = False

    @property
    def reason(self) -> str:
        return f"{self.column}: {self.check}" if self.column else self.check


def row_rules(table: Table, usable: dict[str, list[str]], data_end: date | None) -> list[RowRule]:
    """The row-level checks of `table` whose columns are usable, in the order a row's reason
    is chosen (the first rule a row breaks): values, then relations, then time."""
    name = table.name

    def has(t: str, *cols: str) -> bool:
        return t in usable and all(c in usable[t] for c in cols)

    key = tuple(c for c in table.key if has(name, c))
    rules: list[RowRule] = []
    for col in table.columns:
        if not has(name, col.name):
            continue
        c = f'"{col.name}"'
        show = tuple(dict.fromkeys((*key, col.name)))
        if not col.nullable:
            rules.append(RowRule(name, col.name, "null", "null in a non-nullable column",
                                 f"{c} IS NULL", key))  # fmt: skip
        if col.allowed:
            allowed = ", ".join(f"'{v}'" for v in col.allowed)
            rules.append(RowRule(name, col.name, "not_allowed",
                                 f"value not one of {list(col.allowed)}",
                                 f"{c} IS NOT NULL AND CAST({c} AS VARCHAR) NOT IN ({allowed})",
                                 show))  # fmt: skip
        if col.dtype == "float64":
            rules.append(RowRule(name, col.name, "not_finite", "NaN or infinite",
                                 f"(isnan({c}) OR isinf({c}))", show))  # fmt: skip
        if col.unit in NON_NEGATIVE_UNITS:
            rules.append(RowRule(name, col.name, "negative", f"negative {col.unit}",
                                 f"{c} < 0", show))  # fmt: skip
        if col.unit in IMPLAUSIBLE_ABOVE:
            cap = IMPLAUSIBLE_ABOVE[col.unit]
            rules.append(RowRule(name, col.name, "implausible",
                                 f"above {cap:,} {col.unit} in one row", f"{c} > {cap}",
                                 show))  # fmt: skip
    time = table.time_column or ("activation_date" if name == "subscribers" else None)
    linked = name != "subscribers" and has(name, "subscriber_id")
    if linked and has("subscribers", "subscriber_id"):
        rules.append(RowRule(name, "subscriber_id", "unknown_subscriber", "id not in subscribers",
                             "subscriber_id IS NOT NULL AND subscriber_id NOT IN (SELECT "
                             "subscriber_id FROM subscribers WHERE subscriber_id IS NOT NULL)",
                             ("subscriber_id",)))  # fmt: skip
    if time and has(name, time):
        if linked and has("subscribers", "subscriber_id", "activation_date"):
            rules.append(RowRule(name, time, "before_activation",
                                 "dated before the subscriber's activation",
                                 f'CAST("{time}" AS DATE) < activation_date',
                                 ("subscriber_id", time, "activation_date"),
                                 joins_activation=True))  # fmt: skip
        if data_end is not None:
            rules.append(RowRule(name, time, "after_data_end",
                                 f"at or after the data end {data_end}",
                                 f"\"{time}\" >= DATE '{data_end}'",
                                 ("subscriber_id", time)))  # fmt: skip
    return rules


def activation_join(name: str) -> str:
    """`name`'s rows with their subscriber's activation date (the first, should ids repeat)."""
    return (
        f"(SELECT t.*, s.activation_date FROM {name} t LEFT JOIN (SELECT subscriber_id, "
        "min(activation_date) AS activation_date FROM subscribers GROUP BY subscriber_id) s "
        "USING (subscriber_id))"
    )
