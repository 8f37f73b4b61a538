"""The raw-table data contract (DESIGN §3), declared once.

Every table an operator maps its warehouse onto is described here: its grain, its key,
and each column's type, unit and allowed values. The generator writes exactly this,
`sources.read_table` checks it on read, and `docs/data-contract.md` is rendered from it.

Times are local (Asia/Ho_Chi_Minh) and stored as naive timestamps; timezone-aware ones (a
Parquet timestamp with a zone, a CSV time with an offset) are converted to local time on
read, by every command the same way (`features.contract.localtime`). Money is integer VND.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field

import pyarrow as pa

LOCAL_TIME_ZONE = "Asia/Ho_Chi_Minh"

# Logical types and the Arrow types accepted for each on read.
_ACCEPTED: dict[str, tuple[str, ...]] = {
    "int64": ("int8", "int16", "int32", "int64", "uint8", "uint16", "uint32"),
    "float64": ("int8", "int16", "int32", "int64", "float", "double", "halffloat"),
    "string": ("string", "large_string", "dictionary"),
    "bool": ("bool",),
    "date": ("date32", "date64", "timestamp"),
    "timestamp": ("timestamp", "date32", "date64"),
}

SQL_TYPES: dict[str, str] = {
    "int64": "BIGINT",
    "float64": "DOUBLE",
    "string": "VARCHAR",
    "bool": "BOOLEAN",
    "date": "DATE",
    "timestamp": "TIMESTAMP",
}

ARROW_TYPES: dict[str, pa.DataType] = {
    "int64": pa.int64(),
    "float64": pa.float64(),
    "string": pa.string(),
    "bool": pa.bool_(),
    "date": pa.date32(),
    "timestamp": pa.timestamp("s"),
}


class SchemaError(ValueError):
    """A raw table does not match the data contract; the message names table and column."""


@dataclass(frozen=True)
class Column:
    name: str
    dtype: str
    description: str
    unit: str = ""
    nullable: bool = False
    allowed: tuple[str, ...] = ()
    optional: bool = False  # may be absent from an extract: then read as all null

    def __post_init__(self) -> None:
        if self.optional and not self.nullable:
            raise ValueError(f"column {self.name}: an optional column must be nullable")

    def accepts(self, arrow_type: pa.DataType) -> bool:
        """True when an Arrow column of `arrow_type` can be read as this column."""
        if pa.types.is_dictionary(arrow_type):
            arrow_type = arrow_type.value_type
        name = str(arrow_type).split("[")[0]
        return name in _ACCEPTED[self.dtype] or (name == "large_string" and self.dtype == "string")


@dataclass(frozen=True)
class Table:
    name: str
    grain: str
    key: tuple[str, ...]
    columns: tuple[Column, ...]
    required: bool = True
    time_column: str | None = None
    notes: str = ""
    _index: dict[str, Column] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        self._index.update({c.name: c for c in self.columns})

    def column(self, name: str) -> Column:
        return self._index[name]

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    def select_sql(self, present: Collection[str]) -> str:
        """A SELECT list of every contract column: the `present` ones as they are, absent
        optional ones as typed nulls (so every reader sees one layout)."""
        return ", ".join(
            f'"{c.name}"'
            if c.name in present
            else f'CAST(NULL AS {SQL_TYPES[c.dtype]}) AS "{c.name}"'
            for c in self.columns
        )

    def arrow_schema(self) -> pa.Schema:
        return pa.schema(
            [pa.field(c.name, ARROW_TYPES[c.dtype], nullable=c.nullable) for c in self.columns]
        )

    def check(self, schema: pa.Schema, source: str = "") -> None:
        """Raise SchemaError listing every missing or mistyped column of `schema`."""
        where = f" in {source}" if source else ""
        problems = []
        for col in self.columns:
            idx = schema.get_field_index(col.name)
            if idx < 0 and not col.optional:
                problems.append(f"{self.name}.{col.name}: missing column{where}")
            elif idx < 0:
                continue
            elif not col.accepts(schema.field(idx).type):
                problems.append(
                    f"{self.name}.{col.name}: expected {col.dtype}, "
                    f"found {schema.field(idx).type}{where}"
                )
        if problems:
            raise SchemaError("; ".join(problems))


SUBSCRIBER_ID = Column("subscriber_id", "int64", "Surrogate subscriber key (never a phone number)")

CONTRACT_TYPES = ("prepaid", "postpaid")
REGIONS = ("north", "central", "south")
CUSTOMER_TYPES = ("individual", "business")
SUBSCRIPTION_EVENTS = (
    "activation",
    "plan_change",
    "package_purchase",
    "suspension",
    "termination",
    "port_out",
    "reactivation",
)
CARE_CATEGORIES = ("network", "billing", "package", "port_out_inquiry", "device", "other")
CAMPAIGN_GROUPS = ("treatment", "control")


def _optional(name: str, dtype: str, description: str, **kw) -> Column:
    """A column an extract may leave out (read as all null) or leave null."""
    return Column(name, dtype, description, nullable=True, optional=True, **kw)


SUBSCRIBERS = Table(
    name="subscribers",
    grain="one row per subscriber",
    key=("subscriber_id",),
    notes="Only subscriber_id and activation_date are required (a recharge log with the first "
    "top-up as activation is enough); the other columns are optional and nullable, and the "
    "features read from them are then null. A null contract_type counts as prepaid.",
    columns=(
        SUBSCRIBER_ID,
        Column("activation_date", "date", "First activation of the SIM", "local date"),
        _optional("contract_type", "string", "Payment model", allowed=CONTRACT_TYPES),
        _optional("tariff_plan", "string", "Tariff plan at activation (then plan_change events)"),
        _optional("province", "string", "Home province (one of 63)"),
        _optional("region", "string", "Home region", allowed=REGIONS),
        _optional("customer_type", "string", "Individual or business line", allowed=CUSTOMER_TYPES),
        _optional("device_type", "string", "Handset class (feature, smartphone_low, ...)"),
        _optional("age_band", "string", "Declared age band of the holder"),
        _optional("acquisition_channel", "string", "Where the SIM was sold"),
    ),
)

USAGE_DAILY = Table(
    name="usage_daily",
    grain="one row per subscriber and day with any activity",
    key=("subscriber_id", "date"),
    time_column="date",
    required=False,
    notes="Optional: without it, usage families are null and value labels are top-up amounts.",
    columns=(
        SUBSCRIBER_ID,
        Column("date", "date", "Usage day", "local date"),
        Column("voice_out_calls", "int64", "Outgoing calls", "calls"),
        Column("voice_out_min", "float64", "Outgoing call minutes", "min"),
        Column("voice_in_min", "float64", "Incoming call minutes", "min"),
        Column("sms_out", "int64", "SMS sent", "messages"),
        Column("data_mb", "float64", "Mobile data used", "MB"),
        Column("roaming", "bool", "Any roaming activity that day"),
        Column("revenue_vnd", "int64", "Charged revenue that day (billable usage)", "VND"),
        Column("dropped_calls", "int64", "Calls dropped by the network", "calls"),
    ),
)

RECHARGES = Table(
    name="recharges",
    grain="one row per top-up",
    # Several top-ups at one time are legal (a log of dates has many): only a row identical
    # in every column is a duplicate; `topup_id` keeps genuine repeats of one amount apart.
    key=("subscriber_id", "ts", "amount_vnd", "channel", "topup_id"),
    time_column="ts",
    notes="A recharge (transaction) log alone is enough for RFM features and value labels. "
    "Only rows identical in every column are duplicates: give `topup_id` (a transaction id or "
    "a sequence) when a subscriber can top up one amount twice at one time.",
    columns=(
        SUBSCRIBER_ID,
        Column("ts", "timestamp", "Top-up time", "local time"),
        Column("amount_vnd", "int64", "Top-up amount", "VND"),
        _optional("channel", "string", "scratch_card, e_wallet, bank_app, airtime_loan, ..."),
        _optional("topup_id", "string", "Transaction id, or a sequence, of the top-up"),
    ),
)

INVOICES = Table(
    name="invoices",
    grain="one row per postpaid subscriber and bill month",
    key=("subscriber_id", "bill_month"),
    time_column="issue_date",
    required=False,
    columns=(
        SUBSCRIBER_ID,
        Column("bill_month", "date", "First day of the billed month", "local date"),
        Column("issue_date", "date", "Day the invoice was issued", "local date"),
        Column("amount_vnd", "int64", "Invoiced amount", "VND"),
        Column("due_date", "date", "Payment due", "local date"),
        Column("paid_date", "date", "Day paid; null while unpaid", "local date", nullable=True),
    ),
)

CARE_CONTACTS = Table(
    name="care_contacts",
    grain="one row per customer-care contact",
    key=("subscriber_id", "ts"),
    time_column="ts",
    required=False,
    columns=(
        SUBSCRIBER_ID,
        Column("ts", "timestamp", "Contact time", "local time"),
        Column("channel", "string", "call_centre, store, app, social"),
        Column("category", "string", "Reason for contact", allowed=CARE_CATEGORIES),
        Column("resolved", "bool", "Resolved at first contact"),
    ),
)

SUBSCRIPTION_EVENTS_TABLE = Table(
    name="subscription_events",
    grain="one row per lifecycle event",
    key=("subscriber_id", "ts", "event"),
    time_column="ts",
    required=False,
    notes="Optional: without it, lifecycle families are null and no one counts as terminated.",
    columns=(
        SUBSCRIBER_ID,
        Column("ts", "timestamp", "Event time", "local time"),
        Column("event", "string", "Lifecycle event", allowed=SUBSCRIPTION_EVENTS),
        Column("detail", "string", "Plan or package code, reason", nullable=True),
    ),
)

CAMPAIGNS = Table(
    name="campaigns",
    grain="one row per subscriber and campaign",
    key=("subscriber_id", "campaign_id"),
    time_column="sent_ts",
    required=False,
    columns=(
        SUBSCRIBER_ID,
        Column("campaign_id", "string", "Campaign code"),
        Column("sent_ts", "timestamp", "When the offer was sent (or withheld, for control)"),
        Column("offer_id", "string", "Offer code from the catalogue"),
        Column("group", "string", "Randomised arm", allowed=CAMPAIGN_GROUPS),
        Column("accepted", "bool", "Offer accepted (always false in control)"),
        Column("cost_vnd", "int64", "Cost of the offer to the operator", "VND"),
    ),
)

TABLES: dict[str, Table] = {
    t.name: t
    for t in (
        SUBSCRIBERS,
        USAGE_DAILY,
        RECHARGES,
        INVOICES,
        CARE_CONTACTS,
        SUBSCRIPTION_EVENTS_TABLE,
        CAMPAIGNS,
    )
}
