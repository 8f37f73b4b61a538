"""HTTP request and answer models, generated from the feature definitions (declared once).

Every feature is a required field: numeric features whose absence means "never happened"
(days since the last top-up, say) accept null, the rest must be finite numbers;
categorical attributes are strings, with the contract's allowed values where it has them.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, create_model

from features.definitions import FEATURES
from features.schema import TABLES
from serving.segments import VALUE_TIERS

_STRICT = ConfigDict(extra="forbid", allow_inf_nan=False)


def _field_type(f):
    if f.kind == "categorical":
        table = TABLES.get(f.table)
        allowed = table.column(f.name).allowed if table and f.name in table.names else ()
        return (Literal[allowed] if allowed else str) | None  # type: ignore[valid-type]
    return float | None if f.fill is None else float


SubscriberFeatures = create_model(
    "SubscriberFeatures",
    __config__=_STRICT,
    subscriber_id=(int, Field(description="Surrogate subscriber key")),
    as_of=(date, Field(description="Snapshot date of the features (local date)")),
    **{f.name: (_field_type(f), Field(description=f.description)) for f in FEATURES},
)


class Prediction(BaseModel):
    subscriber_id: int
    as_of: date
    churn_probability: float = Field(description="Probability of churn within the horizon")
    predicted_value_vnd: float = Field(description="Predicted revenue over the value horizon")
    value_horizon_days: int
    value_tier: Literal[VALUE_TIERS]  # type: ignore[valid-type]
    churn_model_version: str = Field(description="Registered model name/version that answered")
    value_model_version: str
