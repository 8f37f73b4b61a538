"""The operator's segments, computed from predictions and recent behaviour.

Rules (all thresholds live in `features.tiers.SegmentConfig`, so an operator can move them
in one place, and training's segment metrics read the same tiers):

- **Risk band** from the calibrated churn probability p: `high` when p >= high_risk,
  `medium` when p >= medium_risk, else `low`.
- **Value tier** from predicted revenue per 30 days (the value horizon rescaled) and tenure:
  `inactive` below inactive_vnd; else `potential` for subscribers younger than
  potential_tenure_days; else `super` / `large` / `medium` by thresholds, else `small`.
- **Relationship state**, first rule that holds: `no potential` when the tier is inactive;
  `needs care` when the risk band is medium or high; `growing` when predicted monthly value
  exceeds the trailing 90-day monthly revenue by growth_ratio or more (or the subscriber is
  young); otherwise `loyal` (low risk, established, steady value).
- **Value at risk**. The predicted value is an expectation that already counts the chance
  of leaving: E[value] ~= (1 - p) x value_if_retained, since a churner brings ~nothing.
  So value_if_retained = E[value] / (1 - p), with the multiplier capped at
  max_retained_multiplier (p near 1 would divide by ~0), and value_at_risk =
  p x value_if_retained: what a successful retention would save over the value horizon.
  Used until training registers an explicit value-if-retained model.
"""

from __future__ import annotations

import numpy as np

from features.artefacts.survival import REPORTED, MarginConfig, lifetime_value
from features.tiers import (
    RELATIONSHIP_STATES,
    RISK_BANDS,
    VALUE_TIERS,
    SegmentConfig,
    value_tier,
)

__all__ = [
    "RELATIONSHIP_STATES",
    "RISK_BANDS",
    "VALUE_TIERS",
    "MarginConfig",
    "SegmentConfig",
    "let_go",
    "lifetime_columns",
    "relationship_state",
    "risk_band",
    "top_share",
    "value_at_risk",
    "value_tier",
]


def risk_band(churn_probability, config: SegmentConfig = SegmentConfig()) -> np.ndarray:
    p = np.asarray(churn_probability, dtype=float)
    return np.select(
        [p >= config.high_risk, p >= config.medium_risk], ["high", "medium"], default="low"
    ).astype(object)


def relationship_state(
    tier, band, monthly_value_vnd, trailing_revenue_90d_vnd, config: SegmentConfig = SegmentConfig()
) -> np.ndarray:
    tier, band = np.asarray(tier, dtype=object), np.asarray(band, dtype=object)
    trailing_monthly = np.asarray(trailing_revenue_90d_vnd, dtype=float) / 3.0
    growing = np.asarray(monthly_value_vnd, dtype=float) >= trailing_monthly * (
        1 + config.growth_ratio
    )
    return np.select(
        [tier == "inactive", band != "low", growing | (tier == "potential")],
        ["no potential", "needs care", "growing"],
        default="loyal",
    ).astype(object)


def value_at_risk(
    predicted_value_vnd, churn_probability, config: SegmentConfig = SegmentConfig()
) -> tuple[np.ndarray, np.ndarray]:
    """(value_if_retained_vnd, value_at_risk_vnd); see the module docstring for the formula."""
    v = np.clip(np.asarray(predicted_value_vnd, dtype=float), 0.0, None)
    p = np.asarray(churn_probability, dtype=float)
    retained = v / np.maximum(1.0 - p, 1.0 / config.max_retained_multiplier)
    return retained, p * retained


def lifetime_columns(
    survival: np.ndarray | None,
    monthly_revenue_if_active,
    contract_type,
    margin: MarginConfig = MarginConfig(),
) -> dict[str, np.ndarray]:
    """Survival at 3/6/12 months, expected lifetime (months within 24) and lifetime value
    (`features.artefacts.survival.lifetime_value`); NaN without a survival model."""
    n = len(np.asarray(monthly_revenue_if_active))
    if survival is None:
        nan = np.full(n, np.nan)
        return {**{f"survival_{m}m": nan for m in REPORTED},
                "expected_lifetime_months": nan, "lifetime_value_vnd": nan}  # fmt: skip
    share = margin.margin_share(contract_type)
    ltv = lifetime_value(survival, monthly_revenue_if_active, share, margin.annual_discount_rate)
    return {
        **{f"survival_{m}m": survival[:, m - 1] for m in REPORTED},
        "expected_lifetime_months": survival.sum(axis=1),
        "lifetime_value_vnd": ltv,
    }


def let_go(lifetime_value_vnd, cheapest_offer_vnd: float | None) -> np.ndarray:
    """The reason a subscriber never receives an offer (None when kept): a negative
    lifetime margin, or one below the cheapest offer's cost (no offer can pay for itself)."""
    v = np.asarray(lifetime_value_vnd, dtype=float)
    out = np.full(len(v), None, dtype=object)
    if cheapest_offer_vnd is not None:
        low = v < cheapest_offer_vnd
        out[low] = [f"lifetime margin {x:,.0f} VND below the cheapest offer "
                    f"({cheapest_offer_vnd:,.0f} VND)" for x in v[low]]  # fmt: skip
    out[v < 0] = "negative lifetime margin"
    return out


def top_share(values, share: float = 0.2) -> float:
    """Share of the total held by the top `share` of rows (the Pareto view)."""
    v = np.sort(np.asarray(values, dtype=float))[::-1]
    k = max(1, int(round(len(v) * share)))
    total = v.sum()
    return float(v[:k].sum() / total) if total > 0 else float("nan")
