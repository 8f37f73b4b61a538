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
  This is the rule without a survival model.
- **Value if retained with a survival model** (`retention_values`): the lifetime margin of
  the subscriber if kept through the next 30 days. Churn in month m means no billable
  activity in it, so the revenue of the value horizon H is E[value] = r x A_H, with r the
  revenue per 30 days while active and A_H = sum_{m <= H/30} S(m) the expected active
  months in it (the last month pro rata): r = E[value] / A_H (A_H floored at
  (H/30) / max_retained_multiplier, the same cap as above). Kept through month 1, the
  survival is S(m) / S(1), so value_if_retained = sum_m S(m) / S(1) x r x margin share x
  discount(m) = lifetime value / S(1), and value_at_risk = p x value_if_retained. A
  subscriber already leaving (S(1) small) is then worth, if kept, what an otherwise
  identical loyal one is, not E[value] / (1 - p) of a near-zero E[value]; the offer gains
  (`serving.decision.gains_matrix`: uplift x value if retained - cost) and the let-go rule
  (no offer pays for itself when the margin if kept is below its cost) read it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

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
    "retention_values",
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
    share = _margin_shares(margin, contract_type)
    ltv = lifetime_value(survival, monthly_revenue_if_active, share, margin.annual_discount_rate)
    return {
        **{f"survival_{m}m": survival[:, m - 1] for m in REPORTED},
        "expected_lifetime_months": survival.sum(axis=1),
        "lifetime_value_vnd": ltv,
    }


def _margin_shares(margin: MarginConfig, contract_type) -> np.ndarray:
    """`margin.margin_share` per row, computed once per distinct contract type (it looks
    each row up in Python: half a second per 200,000 rows) and spread back to the rows."""
    index, kinds = pd.factorize(np.asarray(contract_type, dtype=object), use_na_sentinel=True)
    # a missing type (index -1) takes the last entry: the share of None, the default rate
    shares = margin.margin_share(np.append(np.asarray(kinds, dtype=object), None))
    return np.asarray(shares, dtype=float)[index]


def active_months(survival: np.ndarray, horizon_days: int) -> np.ndarray:
    """Expected months with billable activity within the first `horizon_days`: sum of S(m)
    over the horizon's months, the last one pro rata."""
    months = horizon_days / 30.0
    whole = min(int(months), survival.shape[1])
    out = survival[:, :whole].sum(axis=1)
    if whole < survival.shape[1] and months > whole:
        out = out + (months - whole) * survival[:, whole]
    return out


def retention_values(
    predicted_value_vnd,
    churn_probability,
    survival: np.ndarray | None,
    horizon_days: int,
    contract_type,
    config: SegmentConfig = SegmentConfig(),
    margin: MarginConfig = MarginConfig(),
) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    """(value_if_retained_vnd, value_at_risk_vnd, lifetime columns): with a survival model
    the lifetime margin if kept (see the module docstring), without one `value_at_risk`."""
    v = np.clip(np.asarray(predicted_value_vnd, dtype=float), 0.0, None)
    p = np.asarray(churn_probability, dtype=float)
    if survival is None:
        retained, at_risk = value_at_risk(v, p, config)
        life = lifetime_columns(None, retained * 30.0 / horizon_days, contract_type, margin)
        return retained, at_risk, life
    months = horizon_days / 30.0
    active = np.maximum(active_months(survival, horizon_days),
                        months / config.max_retained_multiplier)  # fmt: skip
    life = lifetime_columns(survival, v / active, contract_type, margin)
    # S(1) > 0 for any hazard below 1; the floor only keeps a certain churner finite.
    first = np.maximum(survival[:, 0], 1e-9)
    retained = life["lifetime_value_vnd"] / first  # negative only for a negative margin share
    return retained, p * np.maximum(retained, 0.0), life


def let_go(lifetime_value_vnd, cheapest_offer_vnd: float | None) -> np.ndarray:
    """The reason a subscriber never receives an offer (None when kept): a negative
    lifetime margin, or one below the cheapest offer's cost (no offer can pay for itself).
    Scoring passes the lifetime margin if kept (`retention_values`): what an offer buys."""
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
