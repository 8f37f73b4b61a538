"""HTTP request and answer models, generated from the feature definitions (declared once).

Every feature is a required field: numeric features whose absence means "never happened"
(days since the last top-up, say) accept null, the rest must be finite numbers;
categorical attributes are strings, with the contract's allowed values where it has them.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, create_model

from features.contract.schema import TABLES
from features.definitions import FEATURES
from serving.segments import RELATIONSHIP_STATES, RISK_BANDS, VALUE_TIERS

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


class Answer(BaseModel):
    """The answer for one subscriber. With status `unknown_subscriber` (an id the online
    store does not hold) only `subscriber_id`, `status` and the model versions are set."""

    subscriber_id: int
    status: Literal[STATUSES] = "ok"  # type: ignore[valid-type]
    as_of: date | None = Field(None, description="Snapshot date of the features used")
    churn_probability: float | None = Field(
        None, description="Calibrated probability of churn within the churn horizon"
    )
    risk_band: Literal[RISK_BANDS] | None = None  # type: ignore[valid-type]
    predicted_value_vnd: float | None = Field(
        None, description="Predicted revenue over the value horizon, VND"
    )
    value_horizon_days: int | None = None
    value_tier: Literal[VALUE_TIERS] | None = None  # type: ignore[valid-type]
    relationship_state: Literal[RELATIONSHIP_STATES] | None = None  # type: ignore[valid-type]
    value_if_retained_vnd: float | None = Field(
        None, description="Predicted value / (1 - churn probability), capped; VND"
    )
    value_at_risk_vnd: float | None = Field(
        None, description="Churn probability x value if retained; VND over the value horizon"
    )
    best_offer: str | None = Field(
        None, description="Best retention offer; null when none is expected to pay for itself"
    )
    best_offer_gain_vnd: float | None = Field(
        None, description="Expected net gain of the best offer, VND"
    )
    reasons: list[str] | None = Field(None, description="Top churn drivers in plain words")
    churn_model_version: str
    value_model_version: str
