"""The behaviour vector as models see it: column order, dtypes, and the boundary check.

`split_valid` is the check applied where vectors enter a model (before fit, in the batch
job, per HTTP request): rows that cannot be scored go to a rejects frame with the reason,
so every input row is either kept or rejected, never dropped.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from features.definitions import CATEGORICAL, FEATURE_NAMES, NUMERIC

KEY = ("subscriber_id", "as_of")


def model_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """The model's input: feature columns in schema order, numerics float, categoricals category.

    LightGBM stores each categorical's training categories in the model file and maps
    these columns onto them at predict time; unseen values become missing.
    """
    missing = [c for c in FEATURE_NAMES if c not in frame.columns]
    if missing:
        raise KeyError(f"feature vector: missing columns {missing}")
    columns = {
        c: frame[c].astype("string").astype("category")
        if c in CATEGORICAL
        else pd.to_numeric(frame[c], errors="raise").astype("float64")
        for c in FEATURE_NAMES
    }
    return pd.DataFrame(columns, index=frame.index)


def split_valid(frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split vectors into (valid, rejects); rejects carry `reject_reason` naming the field."""
    reasons = pd.Series("", index=frame.index, dtype=object)

    def flag(mask: pd.Series, text: str) -> None:
        reasons[mask & (reasons == "")] = text

    for k in KEY:
        if k not in frame.columns:
            raise KeyError(f"feature vector: missing key column {k}")
        flag(frame[k].isna(), f"{k}: missing")
    for c in NUMERIC:
        if c not in frame.columns:
            raise KeyError(f"feature vector: missing column {c}")
        values = pd.to_numeric(frame[c], errors="coerce")
        flag(values.isna() & frame[c].notna(), f"{c}: not a number")
        flag(
            pd.Series(np.isinf(values.to_numpy(dtype=float, na_value=np.nan)), index=frame.index),
            f"{c}: infinite",
        )
    for c in CATEGORICAL:
        if c not in frame.columns:
            raise KeyError(f"feature vector: missing column {c}")
    flag(
        frame["subscriber_id"].duplicated(keep="first") & frame["subscriber_id"].notna(),
        "subscriber_id: duplicate",
    )
    bad = reasons != ""
    rejects = frame[bad].copy()
    rejects["reject_reason"] = reasons[bad]
    return frame[~bad], rejects
