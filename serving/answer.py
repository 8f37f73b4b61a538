"""The answer for one subscriber, declared once: its columns, their Arrow types, their
allowed values and their meaning. The batch job's Parquet schema (`ANSWER_SCHEMA`) and the
HTTP answer model (`serving.server.schemas.Answer`) are both generated from `FIELDS`, so
a column added here appears in both, in the same order."""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa

from features.tiers import RELATIONSHIP_STATES, RISK_BANDS, VALUE_TIERS
from serving.language import LANGUAGES


@dataclass(frozen=True)
class AnswerField:
    name: str
    type: pa.DataType
    description: str = ""
    choices: tuple[str, ...] = ()  # the allowed values of a string column


FIELDS: tuple[AnswerField, ...] = (
    AnswerField("subscriber_id", pa.int64(), "Surrogate subscriber key (int64)"),
    AnswerField("as_of", pa.date32(), "Snapshot date of the features used"),
    AnswerField(
        "churn_probability", pa.float64(), "Calibrated probability of churn within the horizon"
    ),
    AnswerField("risk_band", pa.string(), "Churn risk band", RISK_BANDS),
    AnswerField(
        "predicted_value_vnd", pa.float64(), "Predicted revenue over the value horizon, VND"
    ),
    AnswerField("value_horizon_days", pa.int64(), "Days the predicted value covers"),
    AnswerField("value_tier", pa.string(), "The operator's value tier", VALUE_TIERS),
    AnswerField("relationship_state", pa.string(), "The relationship state", RELATIONSHIP_STATES),
    AnswerField(
        "value_if_retained_vnd",
        pa.float64(),
        "Predicted value / (1 - churn probability), capped; VND",
    ),
    AnswerField(
        "value_at_risk_vnd",
        pa.float64(),
        "Churn probability x value if retained; VND over the value horizon",
    ),
    AnswerField("survival_3m", pa.float64(), "Probability of still being active in 3 months"),
    AnswerField("survival_6m", pa.float64(), "Probability of still being active in 6 months"),
    AnswerField("survival_12m", pa.float64(), "Probability of still being active in 12 months"),
    AnswerField(
        "expected_lifetime_months", pa.float64(), "Expected months active within the next 24"
    ),
    AnswerField(
        "lifetime_value_vnd",
        pa.float64(),
        "Margin over 24 months: sum of survival x monthly margin x discount; VND",
    ),
    AnswerField(
        "let_go_reason",
        pa.string(),
        "Why no offer is ever made (lifetime margin below the cheapest offer); null if kept",
    ),
    AnswerField(
        "best_offer",
        pa.string(),
        "Best retention offer; null when none is expected to pay for itself",
    ),
    AnswerField("best_offer_gain_vnd", pa.float64(), "Expected net gain of the best offer, VND"),
    AnswerField("reasons", pa.list_(pa.string()), "Top churn drivers in plain words"),
    # For people, in the answer's language; the codes above stay language-independent.
    AnswerField("language", pa.string(), "Language of the text fields (en, vi)", LANGUAGES),
    AnswerField("risk_band_name", pa.string(), "The risk band, in the answer's language"),
    AnswerField("value_tier_name", pa.string(), "The value tier, in the answer's language"),
    AnswerField(
        "relationship_state_name", pa.string(), "The relationship state, in the answer's language"
    ),
    AnswerField("best_offer_description", pa.string(), "The best offer, in the answer's language"),
    AnswerField("churn_model_version", pa.string(), "The churn model, name/version"),
    AnswerField("value_model_version", pa.string(), "The value model, name/version"),
)

ANSWER_SCHEMA = pa.schema([(f.name, f.type) for f in FIELDS])
ANSWER_COLUMNS: tuple[str, ...] = tuple(ANSWER_SCHEMA.names)
