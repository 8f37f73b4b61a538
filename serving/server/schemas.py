"""HTTP request and answer models, generated from the feature definitions (declared once).

Every feature is a required field: numeric features whose absence means "never happened"
(days since the last top-up, say) accept null, the rest must be finite numbers;
categorical attributes are strings, with the contract's allowed values where it has them.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

import pyarrow as pa
from pydantic import ConfigDict, Field, create_model

from features.contract.schema import TABLES
from features.definitions import FEATURES
from serving.answer import FIELDS, AnswerField

_STRICT = ConfigDict(extra="forbid", allow_inf_nan=False)
STATUSES = ("ok", "unknown_subscriber")


def _field_type(f):
    if f.kind == "categorical":
        table = TABLES.get(f.table)
        allowed = table.column(f.name).allowed if table and f.name in table.names else ()
        return (Literal[allowed] if allowed else str) | None  # type: ignore[valid-type]
    optional_table = f.table in TABLES and not TABLES[f.table].required
    # Null where the feature can be missing: no event yet, or its table is optional and the
    # operator does not provide it (the whole family is then null).
    return float | None if f.fill is None or optional_table else float


# Keys are int64 in the contract, the online store and the batch: a larger id is a 400 here,
# not an overflow in numpy or SQLite.
SubscriberId = Annotated[int, Field(ge=-(2**63), le=2**63 - 1)]

SubscriberFeatures = create_model(
    "SubscriberFeatures",
    __config__=_STRICT,
    subscriber_id=(SubscriberId, Field(description="Surrogate subscriber key (int64)")),
    as_of=(date, Field(description="Snapshot date of the features (local date)")),
    **{f.name: (_field_type(f), Field(description=f.description)) for f in FEATURES},
)


def _answer_type(f: AnswerField):
    if f.choices:
        return Literal[f.choices] | None  # type: ignore[valid-type]
    if pa.types.is_list(f.type):
        return list[str] | None
    kind = {"int64": int, "double": float, "string": str, "date32[day]": date}[str(f.type)]
    return kind if f.name == "subscriber_id" else kind | None


# The answer for one subscriber: the fields of `serving.answer.FIELDS`, with `status` after
# the id. With status `unknown_subscriber` (an id the online store does not hold) only
# `subscriber_id`, `status` and the model versions are set.
Answer = create_model(
    "Answer",
    subscriber_id=(int, Field(description=FIELDS[0].description)),
    status=(Literal[STATUSES], "ok"),  # type: ignore[valid-type]
    **{f.name: (_answer_type(f), Field(None, description=f.description)) for f in FIELDS[1:]},
)
