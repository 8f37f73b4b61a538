"""Segments: tiers, risk bands, relationship states and value at risk, by their rules."""

import numpy as np
import pytest

from features.artefacts.survival import lifetime_value
from serving.segments import (
    MarginConfig,
    SegmentConfig,
    lifetime_columns,
    relationship_state,
    risk_band,
    top_share,
    value_at_risk,
    value_tier,
)


def test_value_tiers_follow_thresholds():
    v = np.array([600_000, 300_000, 100_000, 20_000, 1_000, 300_000.0])
    tenure = np.array([400, 400, 400, 400, 400, 30.0])
    assert value_tier(v, tenure).tolist() == [
        "super",
        "large",
        "medium",
        "small",
        "inactive",
        "potential",
    ]


def test_risk_bands():
    assert risk_band([0.0, 0.19, 0.2, 0.49, 0.5, 1.0]).tolist() == [
        "low",
        "low",
        "medium",
        "medium",
        "high",
        "high",
    ]


def test_relationship_states_first_rule_wins():
    tier = ["inactive", "large", "medium", "potential", "medium"]
    band = ["high", "medium", "low", "low", "low"]
    monthly = [0, 300_000, 150_000, 50_000, 100_000]
    trailing_90d = [0, 900_000, 300_000, 300_000, 300_000]  # 100k a month for the last three
    assert relationship_state(tier, band, monthly, trailing_90d).tolist() == [
        "no potential",
        "needs care",
        "growing",
        "growing",
        "loyal",
    ]


def test_value_at_risk_formula_and_cap():
    retained, at_risk = value_at_risk([90_000, 90_000, 90_000], [0.0, 0.5, 0.99])
    assert retained.tolist() == [90_000, 180_000, 450_000]  # the last capped at 5x
    assert at_risk.tolist() == pytest.approx([0, 90_000, 445_500])


def test_bad_thresholds_are_refused():
    with pytest.raises(ValueError, match="medium_risk <= high_risk"):
        SegmentConfig(high_risk=0.1, medium_risk=0.3)
    with pytest.raises(ValueError, match="max_retained_multiplier"):
        SegmentConfig(max_retained_multiplier=0.5)


def test_top_share():
    assert top_share([80, 5, 5, 5, 5]) == pytest.approx(0.8)
    assert top_share(np.ones(100)) == pytest.approx(0.2)


def test_a_subscriber_already_leaving_is_worth_if_kept_what_a_loyal_twin_is():
    from serving.segments import retention_values

    months = np.arange(1, 25)
    loyal = 0.98**months  # S(m) of a loyal subscriber
    leaving = 0.3 * 0.98 ** (months - 1)  # 70% leave in month 1: high risk
    survival = np.vstack([loyal, leaving])
    r = 50_000.0  # revenue per 30 days while active, the same for both
    active = survival[:, :3].sum(axis=1)
    predicted = r * active  # E[revenue over 90 days] each model would give
    p = 1.0 - survival[:, 0]
    margin = MarginConfig(cost_rates={"prepaid": 0.3}, interconnect_share=0.1,
                          annual_discount_rate=0.0)  # fmt: skip
    retained, at_risk, life = retention_values(
        predicted, p, survival, 90, ["prepaid", "prepaid"], SegmentConfig(), margin
    )
    kept = 0.6 * r * (0.98 ** (months - 1)).sum()  # S(m) / S(1), margin share 0.6
    assert retained.tolist() == pytest.approx([kept, kept])
    assert at_risk.tolist() == pytest.approx([p[0] * kept, 0.7 * kept])
    # the unconditional lifetime value still counts the chance of leaving
    assert life["lifetime_value_vnd"][1] == pytest.approx(0.3 * kept)
    # a lifetime margin, not the value horizon's revenue the rule without survival gives
    horizon_rule, _ = value_at_risk(predicted, p)
    assert (retained > 3 * horizon_rule).all()
    # beyond max_retained_multiplier (E[value] of 3% of the horizon) the cap bounds it
    gone = 0.01 * 0.98 ** (months - 1)
    capped, _, _ = retention_values([r * gone[:3].sum()], [0.99], gone[None, :], 90, ["prepaid"],
                                    SegmentConfig(), margin)  # fmt: skip
    assert capped[0] == pytest.approx(kept * gone[:3].sum() * 5 / 3)


def test_without_a_survival_model_value_if_retained_is_the_horizon_rule():
    from serving.segments import retention_values

    retained, at_risk, life = retention_values([90_000.0], [0.5], None, 90, ["prepaid"])
    assert retained.tolist() == [180_000] and at_risk.tolist() == [90_000]
    assert np.isnan(life["lifetime_value_vnd"]).all()


def test_active_months_count_the_horizon_pro_rata():
    from serving.segments import active_months

    s = np.array([[0.5, 0.25, 0.125, 0.0625]])
    assert active_months(s, 90).tolist() == [0.875]
    assert active_months(s, 45).tolist() == [0.5 + 0.5 * 0.25]


def test_lifetime_value_takes_each_rows_own_margin_share():
    """The margin share is looked up once per contract type, and spread back row by row."""
    margin = MarginConfig()
    kinds = np.array(["prepaid", "postpaid", None, np.nan, "unknown", "postpaid"], dtype=object)
    survival = np.tile(np.linspace(0.99, 0.5, 24), (len(kinds), 1))
    revenue = np.arange(1, len(kinds) + 1) * 10_000.0
    life = lifetime_columns(survival, revenue, kinds, margin)
    expected = lifetime_value(
        survival, revenue, margin.margin_share(kinds), margin.annual_discount_rate
    )
    assert np.array_equal(life["lifetime_value_vnd"], expected)
    per_vnd = life["lifetime_value_vnd"] / revenue
    assert per_vnd[0] == pytest.approx(per_vnd[2]) == pytest.approx(per_vnd[3])  # the default
    assert per_vnd[1] == pytest.approx(per_vnd[5]) != pytest.approx(per_vnd[0])
