"""Reasons in plain words: the top churn drivers of each subscriber, for a CRM agent.

LightGBM's `pred_contrib` splits each raw churn score (log-odds) into one contribution per
feature (SHAP values for trees). Features of the same measure (`data_mb_sum_7d`,
`_30d`, `_90d`) are added up into one driver, so an agent reads "mobile data use fell by
60% in the last 30 days" once rather than three window-level numbers. The top three
drivers that push risk *up* are phrased from the subscriber's own feature values.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

import lightgbm as lgb
import numpy as np

from features.definitions import FEATURES

N_REASONS = 3
_WINDOWED = re.compile(r"(_(sum|mean|max))?_\d+d$")

# Measures phrased as the last 30 days against the 90-day monthly average.
TREND_NOUNS = {
    "voice_out_calls": "outgoing calls",
    "voice_out_min": "outgoing call minutes",
    "voice_in_min": "incoming call minutes",
    "sms_out": "SMS sent",
    "data_mb": "mobile data use",
    "revenue_vnd": "spending",
    "active_days": "active days",
    "recharge_count": "top-ups",
    "recharge_vnd": "top-up amounts",
}
# Measures phrased as a count over their widest window: (text, column).
# "{s}" becomes "s" unless the count is one.
COUNT_PHRASES = {
    "dropped_calls": ("{n} dropped call{s} in the last 30 days", "dropped_calls_sum_30d"),
    "care_contacts_count": (
        "{n} customer-care contact{s} in the last 90 days",
        "care_contacts_count_90d",
    ),
    "care_unresolved_count": (
        "{n} care contact{s} left unresolved in the last 90 days",
        "care_unresolved_count_90d",
    ),
    "care_network_count": (
        "{n} complaint{s} about network quality in the last 90 days",
        "care_network_count_90d",
    ),
    "care_port_out_inquiry_count": (
        "asked how to port out {n} time{s} in the last 90 days",
        "care_port_out_inquiry_count_90d",
    ),
    "plan_changes_count": (
        "changed tariff plan {n} time{s} in the last 90 days",
        "plan_changes_count_90d",
    ),
    "package_purchases_count": (
        "{n} package purchase{s} in the last 30 days",
        "package_purchases_count_30d",
    ),
}
ATTRIBUTE_PHRASES = {
    "contract_type": "{v} contract",
    "province": "lives in {v}",
    "region": "{v} region",
    "customer_type": "{v} customer",
    "device_type": "device class {v}",
    "age_band": "age band {v}",
    "acquisition_channel": "joined through {v}",
    "tariff_plan": "on tariff plan {v}",
}
_DESCRIPTIONS = {f.name: f.description for f in FEATURES}


def measure(feature: str) -> str:
    """The measure a feature belongs to: its name without aggregate and window."""
    return _WINDOWED.sub("", feature)


def _number(x: float) -> str:
    return f"{x:,.0f}"


def _trend(noun: str, last30, sum90) -> str:
    if _missing(last30) or _missing(sum90):  # its table is optional and was not provided
        return f"{noun}: not recorded"
    last30, monthly = float(last30), float(sum90) / 3.0
    if not monthly > 0:  # also a positive sum too small to divide (5e-324 / 3 is 0.0)
        return f"no {noun} in the last 90 days"
    change = last30 / monthly - 1.0
    if change <= -0.1:
        return f"{noun} fell by {-change:.0%} in the last 30 days"
    if change >= 0.1:
        return f"{noun} rose by {change:.0%} in the last 30 days"
    return f"{noun} steady over the last 90 days"


def phrase(group: str, row: Callable[[str], object], members: list[str]) -> str:
    """One driver in words, from the subscriber's values (`row(column)` reads one)."""
    if group in TREND_NOUNS:
        for infix in ("_sum_", "_"):
            last30, sum90 = f"{group}{infix}30d", f"{group}{infix}90d"
            if last30 in _DESCRIPTIONS and sum90 in _DESCRIPTIONS:
                return _trend(TREND_NOUNS[group], row(last30), row(sum90))
    if group in COUNT_PHRASES and COUNT_PHRASES[group][1] in _DESCRIPTIONS:
        text, col = COUNT_PHRASES[group]
        n = row(col)
        if _missing(n):
            return f"{_DESCRIPTIONS.get(col, col)}: not recorded"
        n = float(n)
        return text.format(n=_number(n), s="" if n == 1 else "s")
    if group in ATTRIBUTE_PHRASES:
        v = row(group)
        return ATTRIBUTE_PHRASES[group].format(v=v if v is not None else "unknown")
    if group == "days_since_last_billable":
        d = row(group)
        return (
            "no billable activity on record"
            if _missing(d)
            else (f"no billable activity for {_number(float(d))} days")
        )
    if group == "days_since_last_recharge":
        d = row(group)
        return "no top-up on record" if _missing(d) else f"last top-up {_number(float(d))} days ago"
    if group == "tenure_days":
        return f"customer for {_number(float(row(group)) / 30.4375)} months"
    # A feature added after this table was written still gets an honest, if plain, reason.
    col = members[0]
    v = row(col)
    shown = "none" if _missing(v) else (_number(v) if isinstance(v, float) else str(v))
    return f"{_DESCRIPTIONS.get(col, col)}: {shown}"


def _missing(v) -> bool:
    return v is None or (isinstance(v, float) and np.isnan(v))


def top_reasons(
    booster: lgb.Booster,
    X: np.ndarray,
    feature_names: list[str],
    values: Mapping[str, np.ndarray],
    k: int = N_REASONS,
) -> list[list[str]]:
    """Per row, up to `k` phrases for the drivers that raise the churn score most.

    `X` is the encoded model matrix (columns `feature_names`); `values` the original
    columns, read to phrase each driver.
    """
    if len(X) == 0:
        return []
    contrib = booster.predict(X, pred_contrib=True)[:, : len(feature_names)]
    groups: dict[str, list[int]] = {}
    for i, name in enumerate(feature_names):
        groups.setdefault(measure(name), []).append(i)
    names = list(groups)
    by_group = np.column_stack([contrib[:, idx].sum(axis=1) for idx in groups.values()])
    # Stable order on ties: larger contribution first, then declaration order.
    order = np.argsort(-by_group, axis=1, kind="stable")[:, :k]
    out = []
    for r in range(len(X)):
        picked = [g for g in order[r] if by_group[r, g] > 0]
        out.append(
            [
                _capitalise(
                    phrase(
                        names[g],
                        lambda c, r=r: _value(values[c][r]),
                        [feature_names[i] for i in groups[names[g]]],
                    )
                )
                for g in picked
            ]
        )
    return out


def _value(v):
    if isinstance(v, np.generic):
        v = v.item()
    return None if v is None or (isinstance(v, float) and np.isnan(v)) else v


def _capitalise(text: str) -> str:
    return text[:1].upper() + text[1:]
