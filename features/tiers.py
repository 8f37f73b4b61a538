"""The operator's value tiers by revenue per 30 days: one set of thresholds for training's
segment metrics (trailing revenue) and serving's segments (predicted value)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class TierThresholds:
    """Revenue per 30 days, VND: `super` from super_vnd, `large` from large_vnd, `medium`
    from medium_vnd, `inactive` below inactive_vnd, `small` between."""

    super_vnd: float = 500_000
    large_vnd: float = 200_000
    medium_vnd: float = 80_000
    inactive_vnd: float = 5_000

    def __post_init__(self) -> None:
        if not self.super_vnd >= self.large_vnd >= self.medium_vnd >= self.inactive_vnd >= 0:
            raise ValueError("segments: need super_vnd >= large_vnd >= medium_vnd >= inactive_vnd")


TIERS = TierThresholds()


def revenue_tier(monthly_vnd, thresholds: TierThresholds = TIERS) -> np.ndarray:
    """`inactive`, `super`, `large`, `medium` or `small` per value (object array)."""
    v = np.asarray(monthly_vnd, dtype=float)
    t = thresholds
    return np.select(
        [v < t.inactive_vnd, v >= t.super_vnd, v >= t.large_vnd, v >= t.medium_vnd],
        ["inactive", "super", "large", "medium"],
        default="small",
    ).astype(object)
