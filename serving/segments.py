"""The operator's value tiers and the Pareto view of revenue."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

VALUE_TIERS = ("super", "large", "medium", "small", "inactive", "potential")


@dataclass(frozen=True)
class TierConfig:
    """Thresholds on predicted revenue per 30 days, VND; `potential` is a young subscriber
    (tenure under `potential_tenure_days`) who is not inactive."""

    super_vnd: float = 500_000
    large_vnd: float = 200_000
    medium_vnd: float = 80_000
    inactive_vnd: float = 5_000
    potential_tenure_days: int = 90


def value_tier(
    monthly_value_vnd: pd.Series, tenure_days: pd.Series, config: TierConfig = TierConfig()
) -> pd.Series:
    """Tier per subscriber from predicted monthly value and tenure."""
    v = monthly_value_vnd.to_numpy(dtype=float)
    tier = np.select(
        [
            v < config.inactive_vnd,
            tenure_days.to_numpy(dtype=float) < config.potential_tenure_days,
            v >= config.super_vnd,
            v >= config.large_vnd,
            v >= config.medium_vnd,
        ],
        ["inactive", "potential", "super", "large", "medium"],
        default="small",
    )
    return pd.Series(tier, index=monthly_value_vnd.index, name="value_tier")


def top_share(values, share: float = 0.2) -> float:
    """Share of the total held by the top `share` of rows (the Pareto view)."""
    v = np.sort(np.asarray(values, dtype=float))[::-1]
    k = max(1, int(round(len(v) * share)))
    total = v.sum()
    return float(v[:k].sum() / total) if total > 0 else float("nan")
