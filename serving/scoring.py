"""The one scoring path: feature vectors in, predictions and segments out.

Called by the batch job and by the HTTP service alike; handlers only translate.
"""

from __future__ import annotations

import pandas as pd

from features.vector import model_frame
from serving.registry import Models
from serving.segments import TierConfig, value_tier

OUTPUT_COLUMNS = (
    "subscriber_id",
    "as_of",
    "churn_probability",
    "predicted_value_vnd",
    "value_horizon_days",
    "value_tier",
    "churn_model_version",
    "value_model_version",
)


def score(frame: pd.DataFrame, models: Models, tiers: TierConfig = TierConfig()) -> pd.DataFrame:
    """Score validated feature vectors (see `features.vector.split_valid`)."""
    X = model_frame(frame)
    out = pd.DataFrame(
        {"subscriber_id": frame["subscriber_id"].astype("int64"), "as_of": frame["as_of"]},
        index=frame.index,
    )
    if len(frame):
        out["churn_probability"] = models.churn.booster.predict(X)
        out["predicted_value_vnd"] = models.value.booster.predict(X)
    else:
        out["churn_probability"] = pd.Series(dtype="float64")
        out["predicted_value_vnd"] = pd.Series(dtype="float64")
    out["value_horizon_days"] = models.value_horizon_days
    monthly = out["predicted_value_vnd"] * 30.0 / models.value_horizon_days
    out["value_tier"] = value_tier(monthly, X["tenure_days"], tiers)
    out["churn_model_version"] = models.churn.ref
    out["value_model_version"] = models.value.ref
    return out[list(OUTPUT_COLUMNS)].reset_index(drop=True)
