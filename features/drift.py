"""Population stability index (PSI) per feature and for scores: drift between a reference
(the training snapshot, or last month) and a current snapshot.

PSI = sum over bins of (a - e) * ln(a / e), with e and a the reference and current shares.
Numeric columns use the reference's deciles as bin edges (missing values are a bin of their
own); categorical columns use their categories. Usual reading: below 0.1 stable, 0.1-0.25 a
moderate shift worth a look, above 0.25 a shift that breaks the model's assumptions.

Like is compared with like for features that move with the calendar. "Days since the last
top-up / care contact / offer (null if none ever)" counts back to the first event the
operator recorded: on a reference taken from the first months of its history those days are
short and often null, a year later they are long, although the subscribers behave the same.
Such features are compared censored at the lookback window (`CALENDAR_RELATIVE`; the days
since the *first* top-up likewise: a new customer or not), and totals over the whole history
per 30 days of the subscriber's history (`WHOLE_HISTORY`). Censored recency keeps the days
when the event fell within the last 90 days, and one bin "not in the last 90 days" for
everything older or never. That transformation does not drift with the length of the history
(every snapshot of the reference and of scoring has at least 90 days behind it), while a
broken feed still moves it: a unit error moves the recent days, and a feed that stops empties
them into the last bin.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from features.definitions import FEATURE_NAMES, LOOKBACK_DAYS

EPSILON = 1e-4  # floor on a bin's share, so empty bins do not give infinite PSI

# Recency features counted over the whole history -> the window they are compared within:
# days since the last event, and since the first (which, for subscribers older than the
# extract, is the extract's start and moves with the calendar for all of them at once).
CALENDAR_RELATIVE: dict[str, int] = {
    name: LOOKBACK_DAYS
    for name in FEATURE_NAMES
    if name.startswith(("days_since_last_", "days_since_first_"))
}
# Sums and counts over the whole history -> the column of the history's length they are
# compared per 30 days of (a lifetime rate does not grow with the calendar; a total does).
WHOLE_HISTORY: dict[str, str] = {
    name: "days_since_first_recharge"
    for name in ("recharge_days_count_all", "recharge_vnd_sum_all")
    if name in FEATURE_NAMES and "days_since_first_recharge" in FEATURE_NAMES
}


def comparable(column: str, values: pd.Series, frame: pd.DataFrame | None = None) -> pd.Series:
    """The values of `column` as drift compares them: calendar-relative recency censored at
    its window (older or never -> the window); whole-history totals per 30 days of the
    subscriber's history (read from `frame`); everything else unchanged."""
    window = CALENDAR_RELATIVE.get(column)
    if window is not None:
        days = pd.to_numeric(values, errors="coerce")
        return days.where(days < window, float(window)).fillna(float(window))
    history = WHOLE_HISTORY.get(column)
    if history is not None and frame is not None and history in frame.columns:
        days = pd.to_numeric(frame[history], errors="coerce").clip(lower=1.0)
        return pd.to_numeric(values, errors="coerce") / days * 30.0
    return values


@dataclass(frozen=True)
class DriftThresholds:
    warn: float = 0.1
    breach: float = 0.25


def _psi(e: np.ndarray, a: np.ndarray) -> float:
    e = np.maximum(e / max(e.sum(), 1), EPSILON)
    a = np.maximum(a / max(a.sum(), 1), EPSILON)
    return float(np.sum((a - e) * np.log(a / e)))


def psi_numeric(reference: pd.Series, current: pd.Series, bins: int = 10) -> float:
    ref = pd.to_numeric(reference, errors="coerce").to_numpy(dtype=float)
    cur = pd.to_numeric(current, errors="coerce").to_numpy(dtype=float)
    finite = ref[np.isfinite(ref)]
    edges = np.unique(np.quantile(finite, np.linspace(0, 1, bins + 1))) if len(finite) else []
    inner = edges[1:-1] if len(edges) > 2 else np.array([])

    def counts(x: np.ndarray) -> np.ndarray:
        ok = np.isfinite(x)
        binned = np.bincount(np.searchsorted(inner, x[ok], side="right"), minlength=len(inner) + 1)
        return np.append(binned, (~ok).sum()).astype(float)

    return _psi(counts(ref), counts(cur))


def psi_categorical(reference: pd.Series, current: pd.Series) -> float:
    ref = reference.astype("string").fillna("<missing>")
    cur = current.astype("string").fillna("<missing>")
    cats = sorted(set(ref.unique()) | set(cur.unique()))
    e = ref.value_counts().reindex(cats, fill_value=0).to_numpy(dtype=float)
    a = cur.value_counts().reindex(cats, fill_value=0).to_numpy(dtype=float)
    return _psi(e, a)


def drift_table(
    reference: pd.DataFrame,
    current: pd.DataFrame,
    columns: list[str],
    thresholds: DriftThresholds = DriftThresholds(),
) -> pd.DataFrame:
    """One row per column: PSI and status (ok / warn / breach), worst first."""
    missing = [c for c in columns if c not in reference.columns or c not in current.columns]
    if missing:
        raise KeyError(f"drift: columns missing from reference or current: {missing}")
    rows = []
    for c in columns:
        numeric = pd.api.types.is_numeric_dtype(reference[c]) and not pd.api.types.is_bool_dtype(
            reference[c]
        )
        value = (
            psi_numeric(comparable(c, reference[c], reference), comparable(c, current[c], current))
            if numeric
            else psi_categorical(reference[c], current[c])
        )
        status = (
            "breach" if value > thresholds.breach else "warn" if value > thresholds.warn else "ok"
        )
        rows.append({"column": c, "psi": value, "status": status})
    return (
        pd.DataFrame(rows).sort_values("psi", ascending=False, kind="stable").reset_index(drop=True)
    )
