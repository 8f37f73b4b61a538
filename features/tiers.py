"""The operator's segments, declared once: value tiers, risk bands and relationship states,
with every threshold in `SegmentConfig`, for training's segment metrics and serving's
answers alike.

- **Value tier** from revenue per 30 days (trailing revenue in training's segment metrics,
  predicted value in serving): `inactive` below inactive_vnd; `super` / `large` / `medium`
  from their thresholds; else `small`. When tenure is given, subscribers younger than
  potential_tenure_days who are not inactive are `potential`.
- **Risk band** and **relationship state**: `serving.segments`, from these thresholds.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

VALUE_TIERS = ("super", "large", "medium", "small", "inactive", "potential")
RISK_BANDS = ("high", "medium", "low")
RELATIONSHIP_STATES = ("loyal", "growing", "needs care", "no potential")


@dataclass(frozen=True)
class SegmentConfig:
    """Thresholds: revenue per 30 days in VND, probabilities calibrated, tenure in days."""

    super_vnd: float = 500_000
    large_vnd: float = 200_000
    medium_vnd: float = 80_000
    inactive_vnd: float = 5_000
    potential_tenure_days: int = 90
    high_risk: float = 0.5
    medium_risk: float = 0.2
    growth_ratio: float = 0.15
    max_retained_multiplier: float = 5.0

    def __post_init__(self) -> None:
        if not self.super_vnd >= self.large_vnd >= self.medium_vnd >= self.inactive_vnd >= 0:
            raise ValueError("segments: need super_vnd >= large_vnd >= medium_vnd >= inactive_vnd")
        if not 0 < self.medium_risk <= self.high_risk <= 1:
            raise ValueError("segments: need 0 < medium_risk <= high_risk <= 1")
        if self.max_retained_multiplier < 1:
            raise ValueError("segments.max_retained_multiplier: must be at least 1")


def value_tier(monthly_vnd, tenure_days=None, config: SegmentConfig = SegmentConfig()):
    """The tier per subscriber from revenue per 30 days (and tenure, for `potential`): a
    Series with the same index when given a Series, else an object array."""
    v = np.asarray(monthly_vnd, dtype=float)
    c = config
    tier = np.select(
        [v < c.inactive_vnd, v >= c.super_vnd, v >= c.large_vnd, v >= c.medium_vnd],
        ["inactive", "super", "large", "medium"],
        default="small",
    ).astype(object)
    if tenure_days is not None:
        young = np.asarray(tenure_days, dtype=float) < c.potential_tenure_days
        tier[young & (tier != "inactive")] = "potential"
    if isinstance(monthly_vnd, pd.Series):
        return pd.Series(tier, index=monthly_vnd.index, name="value_tier")
    return tier
