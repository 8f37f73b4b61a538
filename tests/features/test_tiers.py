"""One set of segment thresholds and one value-tier rule for training's segment metrics and
serving's answers."""

import numpy as np
import pandas as pd
import pytest

from features.tiers import SegmentConfig, value_tier
from training.config import TrainConfig


def test_value_tier_edges():
    v = [0, 4_999, 5_000, 79_999, 80_000, 199_999, 200_000, 499_999, 500_000, 9e9]
    assert value_tier(v).tolist() == [
        "inactive", "inactive", "small", "small", "medium",
        "medium", "large", "large", "super", "super",
    ]  # fmt: skip


def test_young_subscribers_are_potential_unless_inactive():
    v = pd.Series([0.0, 100_000, 600_000, 600_000])
    tenure = [10, 10, 10, 400]
    assert value_tier(v, tenure).tolist() == ["inactive", "potential", "potential", "super"]
    assert value_tier(v).index.equals(v.index)


def test_training_reads_the_serving_thresholds():
    assert TrainConfig().segments == SegmentConfig()
    v = np.linspace(0, 800_000, 97)
    assert value_tier(v, np.full(len(v), 365)).tolist() == value_tier(v).tolist()


def test_thresholds_out_of_order_are_refused():
    with pytest.raises(ValueError, match="super_vnd >= large_vnd"):
        SegmentConfig(super_vnd=100_000, large_vnd=200_000)
    with pytest.raises(ValueError, match="medium_risk <= high_risk"):
        SegmentConfig(high_risk=0.1, medium_risk=0.3)
