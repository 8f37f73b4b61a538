"""One set of value-tier thresholds for training's segment metrics and serving's segments."""

import numpy as np
import pandas as pd
import pytest

from features.tiers import TIERS, TierThresholds, revenue_tier
from serving.segments import SegmentConfig as ServingSegments
from serving.segments import value_tier as serving_tier
from training.config import SegmentConfig as TrainingSegments
from training.segments import value_tier as training_tier


def test_revenue_tier_edges():
    v = [0, 4_999, 5_000, 79_999, 80_000, 199_999, 200_000, 499_999, 500_000, 9e9]
    assert revenue_tier(v).tolist() == [
        "inactive", "inactive", "small", "small", "medium",
        "medium", "large", "large", "super", "super",
    ]  # fmt: skip


def test_training_and_serving_read_the_same_thresholds():
    for cfg in (TrainingSegments(), ServingSegments()):
        for f in ("super_vnd", "large_vnd", "medium_vnd", "inactive_vnd"):
            assert getattr(cfg, f) == getattr(TIERS, f)
    v = pd.Series(np.linspace(0, 800_000, 97))
    established = np.full(len(v), 365)
    assert training_tier(v).tolist() == serving_tier(v, established).tolist()


def test_thresholds_out_of_order_are_refused():
    with pytest.raises(ValueError, match="super_vnd >= large_vnd"):
        TierThresholds(super_vnd=100_000, large_vnd=200_000)
    with pytest.raises(ValueError, match="super_vnd >= large_vnd"):
        TrainingSegments(medium_vnd=1_000, inactive_vnd=2_000)
