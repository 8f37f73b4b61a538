"""Segments: tiers, risk bands, relationship states and value at risk, by their rules."""

import numpy as np
import pytest

from serving.segments import (
    SegmentConfig,
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
