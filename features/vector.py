"""The behaviour vector as models see it: column order, dtypes, and the boundary check.

`split_valid` is the check applied where vectors enter a model (before fit, in the batch
job, per HTTP request): rows that cannot be scored (a key missing, a value not a number,
infinite, or outside its plausible range, `RANGES`) go to a rejects frame with the reason,
so every input row is either kept or rejected, never dropped.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from features.contract.rules import IMPLAUSIBLE_ABOVE
from features.definitions import CATEGORICAL, FEATURE_NAMES, NUMERIC

KEY = ("subscriber_id", "as_of")


# Plausible ranges, declared once from the data contract's units and caps
# (`features.contract.rules`), checked on every vector where it enters a model: a value
# outside is an extraction or client error, never a subscriber to score.
MAX_DAYS = 36_525  # a century: no line, gap or delay is older than that
_UNITS = {"vnd": "VND", "min": "min", "mb": "MB", "calls": "calls", "sms": "messages"}
_MAX_LOG_RATIO = 50.0  # exp(50) ~ 5e21: past that a ratio of contract amounts is impossible


def _window(name: str) -> int:
    m = re.search(r"_(\d+)d$", name)
    return int(m.group(1)) if m else 1


def _unit_cap(name: str) -> float:
    words = name.split("_")
    unit = next((_UNITS[w] for w in words if w in _UNITS), "calls")
    return float(IMPLAUSIBLE_ABOVE[unit])


def plausible_range(name: str) -> tuple[float, float]:
    """The closed range a value of numeric feature `name` must lie in: counts and amounts
    at least 0 and at most the contract's per-row cap x the window in days, days between 0
    and `MAX_DAYS` (a delay may be negative), shares 0 to 1, log ratios within +-50."""
    window, cap = _window(name), _unit_cap(name)
    if re.fullmatch(r"(active|billable|roaming)_days_\d+d", name):
        return (0.0, float(window))
    if name.startswith("active_days_slope"):
        return (-7.0, 7.0)  # weekly active days change by at most a week per week
    if "_trend_" in name and "rate" not in name:
        return (-_MAX_LOG_RATIO, _MAX_LOG_RATIO)
    if "_slope_" in name or "_change_" in name or "rate_trend" in name:
        return (-cap * window, cap * window)
    if "past_due" in name:
        return (-float(MAX_DAYS), float(MAX_DAYS))
    if name.startswith("days_since") or name == "tenure_days" or "_days_" in name:
        return (0.0, float(MAX_DAYS))
    if name.endswith("_share_90d"):
        return (0.0, 1.0)
    if "_rate_" in name:
        return (0.0, cap)
    return (0.0, cap * window)


RANGES: dict[str, tuple[float, float]] = {c: plausible_range(c) for c in NUMERIC}


def range_problem(name: str, value: float) -> str | None:
    """'out of range [lo, hi]' when `value` of numeric feature `name` lies outside it."""
    lo, hi = RANGES[name]
    if lo <= value <= hi:
        return None
    return f"out of range [{lo:,.0f}, {hi:,.0f}]"


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
    # numpy, not a Series: a pandas comparison of object strings per check cost a second per
    # 100k rows; the first reason found for a row is the one kept
    reasons = np.full(len(frame), "", dtype=object)
    unflagged = np.ones(len(frame), dtype=bool)

    def flag(mask, text: str) -> None:
        hit = np.asarray(mask, dtype=bool) & unflagged
        reasons[hit] = text
        unflagged[hit] = False

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
        lo, hi = RANGES[c]
        flag((values < lo) | (values > hi), f"{c}: {range_problem(c, hi + 1)}")
    for c in CATEGORICAL:
        if c not in frame.columns:
            raise KeyError(f"feature vector: missing column {c}")
    flag(
        frame["subscriber_id"].duplicated(keep="first") & frame["subscriber_id"].notna(),
        "subscriber_id: duplicate",
    )
    rejects = frame[~unflagged].copy()
    rejects["reject_reason"] = reasons[~unflagged]
    return (frame if unflagged.all() else frame[unflagged]), rejects
